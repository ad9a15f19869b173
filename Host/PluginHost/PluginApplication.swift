import BatonPluginAPI
import Logging

/// An `Application` backed by one instance of a dlopen'ed plugin.
///
/// Every status the plugin returns is checked: an unknown one becomes an
/// `ApplicationError` of kind `.contractViolation`, never a crash or a guess.
/// Not thread-safe, as the ABI says: call it from one thread at a time.
public final class PluginApplication: Application {
    public let library: PluginLibrary
    /// What the process prints if it dies inside one of this plugin's calls.
    let crashLines: CrashReport.Lines
    public var info: PluginInfo { library.info }
    private let session: HostSession
    /// The instance's host table (what every call receives).
    var hostTable: UnsafeMutablePointer<baton_host> { session.table }
    let instance: UnsafeMutableRawPointer
    private var calls: PluginCalls { library.calls }
    /// What a second instance is created from (`makeSecondInstance`).
    private let config: [UInt8]
    private let logger: Logger?

    /// Creates an instance from `config`.
    ///
    /// - Parameter onCompletion: receives late answers to pending produce and
    ///   validate calls, on whatever thread the plugin completes them.
    /// - Throws: `PluginLoadError` of kind `createFailed`, with the plugin's message.
    public init(
        library: PluginLibrary, config: [UInt8] = [], store: AppStateStore,
        limits: PluginLimits = PluginLimits(), logger: Logger? = nil,
        onCompletion: @escaping @Sendable (PendingCompletion) -> Void = { _ in }
    ) throws(PluginLoadError) {
        self.library = library
        self.config = config
        self.logger = logger
        crashLines = CrashReport.Lines(plugin: library.info.name, functions: library.prepared.map(\.declaration.name))
        var pluginLogger = logger ?? Logger(label: "baton.plugin")
        pluginLogger[metadataKey: "plugin"] = "\(library.info.name)"
        let session = HostSession(store: store, limits: limits, logger: pluginLogger, onCompletion: onCompletion)
        self.session = session
        let error = OutputBuffer(limit: limits.messageBytesMax)
        var created: UnsafeMutableRawPointer?
        let mark = crashLines.enter(.create)
        defer { mark.leave() }
        let status = config.withUnsafeBufferPointer { config in
            error.withWriter { writer in
                library.calls.create(library.descriptor, session.table,
                                     baton_bytes(ptr: config.baseAddress, len: config.count), writer, &created)
            }
        }
        switch (status, created) {
        case (BATON_OK, let instance?):
            self.instance = instance
        case (BATON_OK, nil):
            throw PluginLoadError(.createFailed(message: "create returned BATON_OK but no instance (plugin bug)"),
                                  path: library.path)
        case (BATON_ERROR, _):
            let message = error.text.isEmpty ? "no reason given" : error.text
            throw PluginLoadError(.createFailed(message: message), path: library.path)
        default:
            throw PluginLoadError(.createFailed(message: "create returned unknown status \(status) (plugin bug)"),
                                  path: library.path)
        }
    }

    deinit {
        session.pending.withLock { $0.close() }
        let mark = crashLines.enter(.destroy)
        calls.destroy(instance)
        mark.leave()
    }

    /// ABI 1.6: a second instance over the same store for check_tx, query
    /// and the typed functions on another thread, or nil when the plugin does
    /// not allow one (`BATON_PLUGIN_SECOND_INSTANCE`). It is never asked to
    /// commit, so its session stays read-only: kv_put refuses, as the ABI
    /// says for those calls anyway; it reads the committed state the first
    /// instance's commits leave in the store.
    public func makeSecondInstance() throws -> (any Application)? {
        guard library.allowsSecondInstance else { return nil }
        return try PluginApplication(library: library, config: config, store: session.store, limits: session.limits,
                                     logger: logger)
    }

    /// Pending produce/validate answers not yet completed.
    public var pendingAnswerCount: Int { session.pending.withLock { $0.count } }

    /// Gives up on a pending answer (its deadline passed): a completion that
    /// comes later is refused with BATON_ERR_INVALID_ARGUMENT, and the slot
    /// is free again. Returns whether it was still pending.
    public func abandon(_ token: PendingToken) -> Bool { session.pending.withLock { $0.take(token.value) } != nil }

    public func checkTransaction(_ transaction: [UInt8]) throws(ApplicationError) -> TransactionVerdict {
        let mark = crashLines.enter(.checkTx)
        defer { mark.leave() }
        let reason = OutputBuffer(limit: session.limits.messageBytesMax)
        let status = transaction.withUnsafeBufferPointer { tx in
            reason.withWriter { calls.checkTx(instance, baton_bytes(ptr: tx.baseAddress, len: tx.count), $0) }
        }
        switch status {
        case BATON_OK: return .accept
        case BATON_REJECT: return .reject(reason: reason.text)
        default: throw failure("check_tx", status, reason)
        }
    }

    public func produceBlock(_ context: BlockContext, candidates: [[UInt8]]) throws(ApplicationError) -> ProduceAnswer {
        let mark = crashLines.enter(.produceBlock, block: context)
        defer { mark.leave() }
        try checkIDs(context, call: "produce_block")
        let token = try openToken(.produceBlock, call: "produce_block")
        let payload = OutputBuffer(limit: session.limits.payloadBytesMax)
        let error = OutputBuffer(limit: session.limits.messageBytesMax)
        var included = [UInt8](repeating: 0, count: candidates.count)
        let status = BorrowedByteList.withBorrowed(candidates) { candidateBytes, candidateCount in
            withContext(context) { ctx in
                included.withUnsafeMutableBufferPointer { flags in
                    payload.withWriter { payloadWriter in
                        error.withWriter { errorWriter in
                            calls.produceBlock(instance, ctx, candidateBytes, candidateCount,
                                               flags.baseAddress, token, payloadWriter, errorWriter)
                        }
                    }
                }
            }
        }
        let completedEarly = closeToken(token, after: status)
        switch status {
        case BATON_OK where !completedEarly:
            return .ready(payload: payload.bytes, included: included.indices.filter { included[$0] != 0 })
        case BATON_PENDING:
            return .pending(PendingToken(token))
        case BATON_OK:
            throw ApplicationError(.contractViolation, call: "produce_block",
                                   message: "completed token \(token) and also returned BATON_OK")
        default:
            throw failure("produce_block", status, error, overflowed: payload.overflowed)
        }
    }

    public func validateBlock(_ context: BlockContext, payload: [UInt8]) throws(ApplicationError) -> ValidateAnswer {
        let mark = crashLines.enter(.validateBlock, block: context)
        defer { mark.leave() }
        try checkIDs(context, call: "validate_block")
        let token = try openToken(.validateBlock, call: "validate_block")
        let reason = OutputBuffer(limit: session.limits.messageBytesMax)
        let status = payload.withUnsafeBufferPointer { payload in
            withContext(context) { ctx in
                reason.withWriter {
                    calls.validateBlock(instance, ctx, baton_bytes(ptr: payload.baseAddress, len: payload.count), token, $0)
                }
            }
        }
        let completedEarly = closeToken(token, after: status)
        switch status {
        case BATON_PENDING: return .pending(PendingToken(token))
        case BATON_OK where !completedEarly: return .valid
        case BATON_REJECT where !completedEarly: return .invalid(reason: reason.text)
        case BATON_OK, BATON_REJECT:
            throw ApplicationError(.contractViolation, call: "validate_block",
                                   message: "completed token \(token) and also returned a final answer")
        default: throw failure("validate_block", status, reason)
        }
    }

    public func commitBlock(_ context: BlockContext, payload: [UInt8]) throws(ApplicationError) -> StateHash {
        try commit(context, payload: payload, migratingFrom: nil)
    }

    public func commitBlock(_ context: BlockContext, payload: [UInt8], migratingFrom previous: PluginInfo)
        throws(ApplicationError) -> StateHash {
        try commit(context, payload: payload, migratingFrom: previous)
    }

    /// The committee changes the last successful commit asked for (ABI 1.5).
    public private(set) var committeeUpdates: [CommitteeUpdate] = []

    /// Whether the plugin has a state migration (ABI 1.4 `migrate_state`).
    public var migratesState: Bool { calls.migrateState != nil }

    private func commit(_ context: BlockContext, payload: [UInt8], migratingFrom previous: PluginInfo?)
        throws(ApplicationError) -> StateHash {
        let error = OutputBuffer(limit: session.limits.messageBytesMax)
        var hash = [UInt8](repeating: 0, count: StateHash.byteCount)
        session.staged = AppStateWrites()
        session.committeeUpdates = []
        committeeUpdates = []
        session.mode = .committing
        defer { session.mode = .readOnly; session.staged = AppStateWrites() }
        if let previous, let migrate = calls.migrateState {
            // Staged with the block's own writes: they land together or not at all.
            let mark = crashLines.enter(.migrateState)
            let status = previous.name.withCString { name in
                previous.version.withCString { version in error.withWriter { migrate(instance, name, version, $0) } }
            }
            mark.leave()
            guard status == BATON_OK else { throw failure("migrate_state", status, error) }
        }
        let mark = crashLines.enter(.commitBlock, block: context)
        defer { mark.leave() }
        try checkIDs(context, call: "commit_block")
        let status = payload.withUnsafeBufferPointer { payload in
            withContext(context) { ctx in
                hash.withUnsafeMutableBufferPointer { out in
                    error.withWriter {
                        calls.commitBlock(instance, ctx, baton_bytes(ptr: payload.baseAddress, len: payload.count),
                                          out.baseAddress!, $0)
                    }
                }
            }
        }
        guard status == BATON_OK else { throw failure("commit_block", status, error) }
        do {
            // Atomic: the block's writes land together, or not at all.
            try session.store.apply(session.staged)
        } catch {
            throw ApplicationError(.failed, call: "commit_block", message: "storing app state failed: \(error)")
        }
        committeeUpdates = session.committeeUpdates
        return StateHash(hash)!
    }

    public func query(_ request: [UInt8]) throws(ApplicationError) -> [UInt8] {
        let mark = crashLines.enter(.query)
        defer { mark.leave() }
        let response = OutputBuffer(limit: session.limits.responseBytesMax)
        let error = OutputBuffer(limit: session.limits.messageBytesMax)
        let status = request.withUnsafeBufferPointer { request in
            response.withWriter { responseWriter in
                error.withWriter {
                    calls.query(instance, baton_bytes(ptr: request.baseAddress, len: request.count), responseWriter, $0)
                }
            }
        }
        guard status == BATON_OK else { throw failure("query", status, error, overflowed: response.overflowed) }
        return response.bytes
    }

    public var functions: [PluginFunction] { library.functions }

    public func call(_ name: String, arguments: [FunctionValue]) throws(FunctionCallError) -> FunctionResult {
        guard let index = library.functionIndex[name] else {
            throw .unknownFunction(name, known: library.prepared.map(\.declaration.name))
        }
        let function = library.prepared[index]
        try function.check(arguments)
        let mark = crashLines.enter(function: index)
        defer { mark.leave() }
        // The session stays read-only: kv_put/kv_delete answer BATON_ERR_READ_ONLY.
        let result = function.result
        guard !result.isScalar else {
            let raw = function.call(instance: instance, host: session.table, arguments: arguments, writer: nil)
            return .value(Self.scalar(raw, as: result))
        }
        let limit = session.limits.responseBytesMax
        let out = OutputBuffer(limit: limit)
        let raw = out.withWriter { function.call(instance: instance, host: session.table, arguments: arguments, writer: $0) }
        let status = baton_status(truncatingIfNeeded: raw)
        let call = "function \(name)"
        // A refused write means the answer is incomplete, whatever the status says.
        if out.overflowed {
            throw .failed(ApplicationError(.failed, call: call, message: "its result passed the host's limit of \(limit) bytes"))
        }
        switch status {
        case BATON_OK:
            if result == .bytes { return .value(.bytes(out.bytes)) }
            guard let text = String(validating: out.bytes, as: UTF8.self) else {
                throw .failed(ApplicationError(.contractViolation, call: call, message: "its str result is not valid UTF-8"))
            }
            return .value(.str(text))
        case BATON_NOT_FOUND: return .none
        case BATON_REJECT: throw .rejected(function: name, message: out.text.isEmpty ? "no reason given" : out.text)
        default: throw .failed(failure(call, status, out, overflowed: out.overflowed))
        }
    }

    /// A scalar result from the bits libffi returned (integers narrower than
    /// 8 bytes come widened to ffi_arg; the low bytes are the value).
    static func scalar(_ raw: UInt64, as type: FunctionType) -> FunctionValue {
        switch type {
        case .i32: .i32(Int32(truncatingIfNeeded: raw))
        case .i64: .i64(Int64(bitPattern: raw))
        case .u32: .u32(UInt32(truncatingIfNeeded: raw))
        case .u64: .u64(raw)
        case .f64: .f64(Double(bitPattern: raw))
        case .bool: .bool(UInt8(truncatingIfNeeded: raw) != 0)
        case .str, .bytes: preconditionFailure("not a scalar")
        }
    }

    /// Output bound of `block_transactions` (the header says it).
    static let transactionListBytesMax = 64 * 1024 * 1024

    public func blockTransactions(_ payload: [UInt8]) throws(ApplicationError) -> [[UInt8]]? {
        guard let call = calls.blockTransactions else { return nil }
        let mark = crashLines.enter(.blockTransactions)
        defer { mark.leave() }
        let list = OutputBuffer(limit: Self.transactionListBytesMax)
        let error = OutputBuffer(limit: session.limits.messageBytesMax)
        let status = payload.withUnsafeBufferPointer { payload in
            list.withWriter { listWriter in
                error.withWriter { call(instance, baton_bytes(ptr: payload.baseAddress, len: payload.count), listWriter, $0) }
            }
        }
        switch status {
        case BATON_OK: break
        case BATON_NOT_FOUND: return nil
        default: throw failure("block_transactions", status, error, overflowed: list.overflowed)
        }
        // Frames: u32 little-endian length, then the bytes.
        let bytes = list.bytes
        var transactions: [[UInt8]] = []
        var at = 0
        while at < bytes.count {
            guard bytes.count - at >= 4 else {
                throw ApplicationError(.contractViolation, call: "block_transactions", message: "a length prefix is cut off at byte \(at)")
            }
            let length = Int(bytes[at]) | Int(bytes[at + 1]) << 8 | Int(bytes[at + 2]) << 16 | Int(bytes[at + 3]) << 24
            at += 4
            guard bytes.count - at >= length else {
                throw ApplicationError(.contractViolation, call: "block_transactions",
                                       message: "transaction \(transactions.count) claims \(length) bytes; \(bytes.count - at) follow")
            }
            transactions.append(Array(bytes[at..<at + length]))
            at += length
        }
        return transactions
    }

    public func stateHashFromStore() throws(ApplicationError) -> StateHash? {
        guard let call = calls.stateHashFromStore else { return nil }
        let mark = crashLines.enter(.stateHashFromStore)
        defer { mark.leave() }
        let error = OutputBuffer(limit: session.limits.messageBytesMax)
        var hash = [UInt8](repeating: 0, count: StateHash.byteCount)
        // The session is read-only here: kv_put/kv_delete refuse.
        let status = hash.withUnsafeMutableBufferPointer { out in error.withWriter { call(instance, out.baseAddress!, $0) } }
        switch status {
        case BATON_OK: return StateHash(hash)!
        case BATON_NOT_FOUND: return nil
        default: throw failure("state_hash_from_store", status, error)
        }
    }

    public func retainHeight() -> UInt64 {
        guard let call = calls.retainHeight else { return 0 }
        let mark = crashLines.enter(.retainHeight)
        defer { mark.leave() }
        return call(instance)
    }

    // MARK: - Helpers

    private func openToken(_ call: PendingCompletion.Call, call name: String) throws(ApplicationError) -> UInt64 {
        guard let token = session.pending.withLock({ $0.open(call) }) else {
            throw ApplicationError(.contractViolation, call: name,
                                   message: "\(session.limits.pendingAnswersMax) answers already pending; complete them first")
        }
        return token
    }

    /// A final answer closes the call's token. Returns true if the plugin had
    /// already completed it (then the final answer is a second answer).
    private func closeToken(_ token: UInt64, after status: baton_status) -> Bool {
        guard status != BATON_PENDING else { return false }
        return session.pending.withLock { $0.take(token) } == nil
    }

    private func failure(_ call: String, _ status: baton_status, _ message: OutputBuffer, overflowed: Bool = false)
        -> ApplicationError
    {
        if status == BATON_ERROR {
            var text = message.text.isEmpty ? "no reason given" : message.text
            if overflowed { text += " (its output passed the host's size limit)" }
            return ApplicationError(.failed, call: call, message: text)
        }
        return ApplicationError(.contractViolation, call: call, message: "returned unknown status \(status)")
    }

    private func checkIDs(_ context: BlockContext, call: String) throws(ApplicationError) {
        guard context.blockID.count == BlockContext.idBytes, context.parentID.count == BlockContext.idBytes else {
            throw ApplicationError(.invalidArgument, call: call, message: "block and parent ids must be 32 bytes")
        }
    }

    /// Lays a `BlockContext` out as a `baton_block_context` valid for `body`.
    /// The ids must have passed `checkIDs`.
    private func withContext<R>(_ context: BlockContext, _ body: (UnsafePointer<baton_block_context>) -> R) -> R {
        var raw = baton_block_context()
        raw.struct_size = UInt32(MemoryLayout<baton_block_context>.size)
        raw.height = context.height
        raw.view = context.view
        raw.timestamp_ms = context.timestampMs
        withUnsafeMutableBytes(of: &raw.block_id) { $0.copyBytes(from: context.blockID) }
        withUnsafeMutableBytes(of: &raw.parent_id) { $0.copyBytes(from: context.parentID) }
        return context.proposer.withUnsafeBufferPointer { proposer in
            raw.proposer = baton_bytes(ptr: proposer.baseAddress, len: proposer.count)
            return BorrowedByteList.withBorrowed(context.pendingPayloads) { pending, count in
                raw.pending_payloads = pending
                raw.pending_count = count
                return context.finalityProof.withUnsafeBufferPointer { proof in
                    raw.finality_proof = baton_bytes(ptr: proof.baseAddress, len: proof.count)
                    return withUnsafePointer(to: &raw) { body($0) }
                }
            }
        }
    }
}
