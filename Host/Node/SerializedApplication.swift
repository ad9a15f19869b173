import PluginHost
import Synchronization

/// One application instance shared by the consensus loop and the side lane,
/// for a plugin that does not allow a second instance (ABI 1.6): every call
/// takes one lock, so the instance still sees one call at a time (the ABI's
/// [instance] rule). The price, stated in docs/plugins.md: a slow `check_tx` or
/// `query` on such a plugin delays the loop's next block call by as long —
/// it is no longer *on* the loop, but it holds the only instance.
final class SerializedApplication: Application, @unchecked Sendable {
    // @unchecked: `base` is touched only inside `lock`.
    let base: any Application
    private let lock = Mutex(())

    init(_ base: any Application) { self.base = base }

    private func locked<R, E: Error>(_ body: () throws(E) -> R) throws(E) -> R {
        let result: Result<R, E> = lock.withLock { _ in
            do throws(E) { return .success(try body()) } catch { return .failure(error) }
        }
        return try result.get()
    }

    var info: PluginInfo { base.info }
    var functions: [PluginFunction] { base.functions }
    var committeeUpdates: [CommitteeUpdate] { locked { base.committeeUpdates } }

    func checkTransaction(_ transaction: [UInt8]) throws(ApplicationError) -> TransactionVerdict {
        try locked { () throws(ApplicationError) in try base.checkTransaction(transaction) }
    }

    func produceBlock(_ context: BlockContext, candidates: [[UInt8]]) throws(ApplicationError) -> ProduceAnswer {
        try locked { () throws(ApplicationError) in try base.produceBlock(context, candidates: candidates) }
    }

    func validateBlock(_ context: BlockContext, payload: [UInt8]) throws(ApplicationError) -> ValidateAnswer {
        try locked { () throws(ApplicationError) in try base.validateBlock(context, payload: payload) }
    }

    func commitBlock(_ context: BlockContext, payload: [UInt8]) throws(ApplicationError) -> StateHash {
        try locked { () throws(ApplicationError) in try base.commitBlock(context, payload: payload) }
    }

    func commitBlock(_ context: BlockContext, payload: [UInt8], migratingFrom previous: PluginInfo)
        throws(ApplicationError) -> StateHash {
        try locked { () throws(ApplicationError) in try base.commitBlock(context, payload: payload, migratingFrom: previous) }
    }

    var checksInBatches: Bool { base.checksInBatches }
    var validatesWithListing: Bool { base.validatesWithListing }

    func validateListing(_ context: BlockContext, payload: [UInt8])
        -> (listed: Result<[[UInt8]]?, ApplicationError>, answer: Result<ValidateAnswer, ApplicationError>)
    {
        locked { base.validateListing(context, payload: payload) }
    }

    func checkTransactions(_ transactions: [[UInt8]]) -> [Result<TransactionVerdict, ApplicationError>] {
        locked { base.checkTransactions(transactions) }
    }

    func makeSecondInstance() throws -> (any Application)? { nil }

    func query(_ request: [UInt8]) throws(ApplicationError) -> [UInt8] {
        try locked { () throws(ApplicationError) in try base.query(request) }
    }

    func blockTransactions(_ payload: [UInt8]) throws(ApplicationError) -> [[UInt8]]? {
        try locked { () throws(ApplicationError) in try base.blockTransactions(payload) }
    }

    func abandon(_ token: PendingToken) -> Bool { locked { base.abandon(token) } }

    func stateHashFromStore() throws(ApplicationError) -> StateHash? {
        try locked { () throws(ApplicationError) in try base.stateHashFromStore() }
    }

    func retainHeight() -> UInt64 { locked { base.retainHeight() } }

    func call(_ function: String, arguments: [FunctionValue]) throws(FunctionCallError) -> FunctionResult {
        try locked { () throws(FunctionCallError) in try base.call(function, arguments: arguments) }
    }
}
