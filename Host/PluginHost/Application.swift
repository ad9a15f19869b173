/// The replicated application as the rest of the host sees it.
///
/// A loaded plugin (`PluginApplication`) implements it, and so can an
/// in-process Swift type in tests. Threading: like the C ABI, an application
/// is called from one thread at a time; the node's serial event loop owns it.
/// Pending answers arrive through the completion handler the application was
/// created with, on any thread.
///
/// Error contract: a thrown `ApplicationError` is never fatal to the host by
/// itself. The caller decides: a failed `check_tx` drops the transaction, a
/// failed `validateBlock` means no vote, a failed `commitBlock` stops the node
/// (the app cannot follow the finalized chain).
public protocol Application: AnyObject {
    var info: PluginInfo { get }

    /// Mempool admission, against committed state. No side effects.
    func checkTransaction(_ transaction: [UInt8]) throws(ApplicationError) -> TransactionVerdict

    /// The payload for a block this node proposes, chosen from `candidates`.
    func produceBlock(_ context: BlockContext, candidates: [[UInt8]]) throws(ApplicationError) -> ProduceAnswer

    /// Judges a proposed payload against the state its parent leads to.
    func validateBlock(_ context: BlockContext, payload: [UInt8]) throws(ApplicationError) -> ValidateAnswer

    /// Applies a finalized block; returns the hash of the whole app state.
    func commitBlock(_ context: BlockContext, payload: [UInt8]) throws(ApplicationError) -> StateHash

    /// The first commit after a live upgrade switched to this application:
    /// its state migration from `previous` (ABI 1.4 `migrate_state`, if it
    /// has one), then the block, in one atomic write.
    func commitBlock(_ context: BlockContext, payload: [UInt8], migratingFrom previous: PluginInfo)
        throws(ApplicationError) -> StateHash

    /// Read-only request/response in the app's own format.
    func query(_ request: [UInt8]) throws(ApplicationError) -> [UInt8]

    /// The mempool transactions `payload` carries, exactly as submitted (ABI
    /// 1.2 `block_transactions`), or nil when the app cannot tell (an older
    /// plugin): the host then falls back (see the node's `BlockTransactions`).
    func blockTransactions(_ payload: [UInt8]) throws(ApplicationError) -> [[UInt8]]?

    /// Gives up on a pending answer whose deadline passed; true if it was still pending.
    func abandon(_ token: PendingToken) -> Bool

    /// The typed functions the app exports (ABI 1.3), in its order.
    var functions: [PluginFunction] { get }

    /// Calls a typed function by name, read-only, against committed state.
    func call(_ function: String, arguments: [FunctionValue]) throws(FunctionCallError) -> FunctionResult

    /// The committee changes the last `commitBlock` asked for (ABI 1.5
    /// `update_committee`), in order; empty for most blocks.
    var committeeUpdates: [CommitteeUpdate] { get }

    /// Whether `checkTransactions` judges a batch in one step that is much
    /// cheaper than one call each (a plugin in another process: one round
    /// trip). The side lane then hands it whole batches.
    var checksInBatches: Bool { get }

    /// Whether `validateListing` does in one step what `blockTransactions`
    /// then `validateBlock` do in two (a plugin in another process: one
    /// round trip instead of two on the path of every vote).
    var validatesWithListing: Bool { get }

    /// `blockTransactions(payload)` and `validateBlock(context, payload:)` at once.
    func validateListing(_ context: BlockContext, payload: [UInt8])
        -> (listed: Result<[[UInt8]]?, ApplicationError>, answer: Result<ValidateAnswer, ApplicationError>)

    /// `checkTransaction` for each, in order.
    func checkTransactions(_ transactions: [[UInt8]]) -> [Result<TransactionVerdict, ApplicationError>]

    /// A second instance that may serve `checkTransaction`, `query` and
    /// `call` on another thread, concurrently with this one's block calls
    /// (ABI 1.6), or nil: then those calls share this instance, one call at
    /// a time (`SerializedApplication`).
    func makeSecondInstance() throws -> (any Application)?

    /// The app state hash recomputed from the store alone (ABI 1.7
    /// `state_hash_from_store`), to prove a restored snapshot is the state
    /// the chain certified; nil when the app cannot tell (no such call, or a
    /// hash that chains history instead of hashing the keys).
    func stateHashFromStore() throws(ApplicationError) -> StateHash?

    /// The lowest height whose block the app wants kept (ABI 1.7
    /// `retain_height`, as ABCI's): a function of committed state. 0: no wish.
    func retainHeight() -> UInt64
}

extension Application {
    public func blockTransactions(_ payload: [UInt8]) throws(ApplicationError) -> [[UInt8]]? { nil }
    public func commitBlock(_ context: BlockContext, payload: [UInt8], migratingFrom previous: PluginInfo)
        throws(ApplicationError) -> StateHash { try commitBlock(context, payload: payload) }
    public func abandon(_ token: PendingToken) -> Bool { false }
    public var functions: [PluginFunction] { [] }
    public var committeeUpdates: [CommitteeUpdate] { [] }
    public func makeSecondInstance() throws -> (any Application)? { nil }
    public var checksInBatches: Bool { false }
    public var validatesWithListing: Bool { false }
    public func stateHashFromStore() throws(ApplicationError) -> StateHash? { nil }
    public func retainHeight() -> UInt64 { 0 }
    public func validateListing(_ context: BlockContext, payload: [UInt8])
        -> (listed: Result<[[UInt8]]?, ApplicationError>, answer: Result<ValidateAnswer, ApplicationError>)
    {
        (Result { () throws(ApplicationError) in try blockTransactions(payload) },
         Result { () throws(ApplicationError) in try validateBlock(context, payload: payload) })
    }
    public func checkTransactions(_ transactions: [[UInt8]]) -> [Result<TransactionVerdict, ApplicationError>] {
        transactions.map { tx in Result { () throws(ApplicationError) in try checkTransaction(tx) } }
    }
    public func call(_ function: String, arguments: [FunctionValue]) throws(FunctionCallError) -> FunctionResult {
        throw .unknownFunction(function, known: [])
    }
}

/// Where a block sits in the chain (see `baton_block_context`).
public struct BlockContext: Sendable, Hashable {
    public static let idBytes = 32
    public var height: UInt64
    public var view: UInt64
    public var timestampMs: UInt64
    /// 32 bytes; all zero in `produceBlock`, where the id is not known yet.
    public var blockID: [UInt8]
    public var parentID: [UInt8]
    /// The proposer's public key (33-byte compressed secp256k1).
    public var proposer: [UInt8]
    /// Payloads of non-finalized ancestors, oldest first, ending with the parent's.
    public var pendingPayloads: [[UInt8]]
    /// `commitBlock` only: the encoded `FinalityProof` of this block (ABI 1.1).
    public var finalityProof: [UInt8]

    public init(
        height: UInt64, view: UInt64, timestampMs: UInt64,
        blockID: [UInt8] = [UInt8](repeating: 0, count: 32), parentID: [UInt8],
        proposer: [UInt8], pendingPayloads: [[UInt8]] = [], finalityProof: [UInt8] = []
    ) {
        self.height = height
        self.view = view
        self.timestampMs = timestampMs
        self.blockID = blockID
        self.parentID = parentID
        self.proposer = proposer
        self.pendingPayloads = pendingPayloads
        self.finalityProof = finalityProof
    }
}

/// The app's verdict on a transaction offered to the mempool.
public enum TransactionVerdict: Sendable, Hashable {
    case accept
    case reject(reason: String)
}

/// A token the app completes later through the host (`baton_host.complete`).
public struct PendingToken: Sendable, Hashable, CustomStringConvertible {
    public let value: UInt64
    public init(_ value: UInt64) { self.value = value }
    public var description: String { "#\(value)" }
}

public enum ProduceAnswer: Sendable, Hashable {
    /// `included` holds the indices of the candidates the payload carries, ascending.
    case ready(payload: [UInt8], included: [Int])
    /// The payload will arrive as a `PendingCompletion` with this token.
    case pending(PendingToken)
}

public enum ValidateAnswer: Sendable, Hashable {
    case valid
    case invalid(reason: String)
    case pending(PendingToken)
}

/// A late answer to a pending produce or validate call.
public struct PendingCompletion: Sendable, Hashable {
    public enum Call: Sendable, Hashable {
        case produceBlock, validateBlock

        /// The ABI's name for it.
        public var name: String { self == .produceBlock ? "produce_block" : "validate_block" }
    }
    public enum Outcome: Sendable, Hashable {
        /// produce_block's payload (a pending produce includes no candidates).
        case produced(payload: [UInt8])
        case valid
        case invalid(reason: String)
        /// The plugin failed, or broke the completion contract (wrong status).
        case failed(ApplicationError)
    }

    public let token: PendingToken
    public let call: Call
    public let outcome: Outcome

    public init(token: PendingToken, call: Call, outcome: Outcome) {
        self.token = token
        self.call = call
        self.outcome = outcome
    }
}

/// The 32-byte hash of the complete app state after a commit.
public struct StateHash: Sendable, Hashable, CustomStringConvertible {
    public static let byteCount = 32
    public let bytes: [UInt8]

    public init?(_ bytes: [UInt8]) {
        guard bytes.count == Self.byteCount else { return nil }
        self.bytes = bytes
    }

    public var hex: String { bytes.lowercaseHex }
    public var description: String { hex }
}

extension Sequence<UInt8> {
    /// Two lower-case hex digits a byte: state hashes, plugin file digests.
    var lowercaseHex: String {
        map { byte in byte < 16 ? "0" + String(byte, radix: 16) : String(byte, radix: 16) }.joined()
    }
}
