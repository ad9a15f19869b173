import BatonPluginAPI
import Logging
import Synchronization

/// The host side of one plugin instance: what `baton_host.host_data` points at.
///
/// Threading (the ABI's, enforced by the caller): `mode`, `staged` and the
/// store are touched only by kv callbacks, which run on the thread of a call
/// the host is making into this instance ([in-call]), and by
/// `PluginApplication` around that call — never concurrently. `complete`,
/// `log` and `sha256` may come from any thread; they touch only `pending`
/// (behind a mutex), the logger and the `Sendable` completion handler.
final class HostSession: @unchecked Sendable {
    /// What the plugin may do with its store right now.
    enum Mode: Equatable {
        /// Outside any call, or in a call that must not change state.
        case readOnly
        /// Inside commit_block: writes are staged into `staged`.
        case committing
    }

    let store: AppStateStore
    let limits: PluginLimits
    let logger: Logger
    let onCompletion: @Sendable (PendingCompletion) -> Void
    var mode = Mode.readOnly
    var staged = AppStateWrites()
    /// Committee changes the plugin asked for in the current commit (ABI 1.5).
    var committeeUpdates: [CommitteeUpdate] = []
    let pending: Mutex<PendingRegistry>
    /// Stable for the instance's life: the plugin keeps this pointer.
    let table: UnsafeMutablePointer<baton_host>

    init(store: AppStateStore, limits: PluginLimits, logger: Logger,
         onCompletion: @escaping @Sendable (PendingCompletion) -> Void) {
        self.store = store
        self.limits = limits
        self.logger = logger
        self.onCompletion = onCompletion
        self.pending = Mutex(PendingRegistry(capacity: limits.pendingAnswersMax))
        self.table = .allocate(capacity: 1)
        table.initialize(to: HostSession.makeTable(hostData: nil))
        table.pointee.host_data = Unmanaged.passUnretained(self).toOpaque()
    }

    deinit {
        table.deinitialize(count: 1)
        table.deallocate()
    }

    static func from(_ host: UnsafePointer<baton_host>) -> HostSession? {
        guard let data = host.pointee.host_data else { return nil }
        return Unmanaged<HostSession>.fromOpaque(data).takeUnretainedValue()
    }

    // MARK: - Key-value store

    /// `writer` nil: only whether the key exists (BATON_OK or BATON_NOT_FOUND).
    func get(_ key: [UInt8], into writer: UnsafePointer<baton_writer>?) -> baton_status {
        let value: [UInt8]?
        switch staged.staged(key) {
        case .some(let stagedValue): value = stagedValue
        case .none:
            do { value = try store.value(forKey: key) } catch {
                logger.error("app state read failed", metadata: ["error": "\(error)"])
                return BATON_ERR_STORAGE
            }
        }
        guard let value else { return BATON_NOT_FOUND }
        guard let writer else { return BATON_OK }
        return value.withUnsafeBufferPointer { writer.pointee.write(writer.pointee.ctx, $0.baseAddress, $0.count) }
    }

    func put(_ key: [UInt8], _ value: [UInt8]?) -> baton_status {
        // Plugin ABI rule: state changes only inside commit_block, so that
        // check_tx/produce/validate/query can never diverge replicated state.
        guard mode == .committing else { return BATON_ERR_READ_ONLY }
        guard key.count <= limits.keyBytesMax, (value?.count ?? 0) <= limits.valueBytesMax else {
            return BATON_ERR_TOO_LARGE
        }
        if let value { staged.put(key, value) } else { staged.delete(key) }
        return BATON_OK
    }

    /// ABI 1.5 `update_committee`: only inside commit_block, a 33-byte key
    /// of the compressed form, a host:port address (or none), at most
    /// `CommitteeUpdate.perBlockMax` a block.
    func updateCommittee(publicKey: [UInt8], weight: UInt64, address: [UInt8]) -> baton_status {
        guard mode == .committing else { return BATON_ERR_READ_ONLY }
        guard publicKey.count == 33, publicKey[0] == 2 || publicKey[0] == 3,
              let text = String(validating: address, as: UTF8.self), CommitteeUpdate.isAddress(text) else {
            return BATON_ERR_INVALID_ARGUMENT
        }
        guard committeeUpdates.count < CommitteeUpdate.perBlockMax else { return BATON_ERR_TOO_LARGE }
        committeeUpdates.append(CommitteeUpdate(publicKey: publicKey, weight: weight, address: text))
        return BATON_OK
    }

    /// Committed entries under `prefix`, overlaid with this commit's staged
    /// writes, in ascending key order.
    func iterate(prefix: [UInt8], _ visit: ([UInt8], [UInt8]) -> Bool) -> baton_status {
        do {
            if staged.isEmpty {
                try store.forEach(withPrefix: prefix, visit)
                return BATON_OK
            }
            var merged: [[UInt8]: [UInt8]] = [:]
            try store.forEach(withPrefix: prefix) { merged[$0] = $1; return true }
            for (key, value) in staged.changes where key.bytes.starts(with: prefix) { merged[key.bytes] = value }
            for (key, value) in merged.sorted(by: { $0.key.lexicographicallyPrecedes($1.key) }) where !visit(key, value) {
                break
            }
            return BATON_OK
        } catch {
            logger.error("app state scan failed", metadata: ["error": "\(error)"])
            return BATON_ERR_STORAGE
        }
    }

    // MARK: - Pending answers

    func complete(token: UInt64, status: baton_status, data: [UInt8]) -> baton_status {
        // A status the call cannot answer is refused and the token stays
        // open: the plugin may still complete it properly (or the deadline ends it).
        let call: PendingCompletion.Call
        switch pending.withLock({ $0.take(token) { Self.allowed(call: $0).contains(status) } }) {
        case .unknown:
            logger.warning("complete: unknown, used or expired token", metadata: ["token": "\(token)"])
            return BATON_ERR_INVALID_ARGUMENT
        case .refused(let refused):
            logger.error("complete: refused a status the pending call cannot answer",
                         metadata: ["call": "\(refused.name)", "token": "\(token)", "status": "\(status)",
                                    "allowed": "\(Self.allowed(call: refused))"])
            return BATON_ERR_INVALID_ARGUMENT
        case .taken(let taken): call = taken
        }
        let callName = call.name
        let limit = call == .produceBlock ? limits.payloadBytesMax : limits.messageBytesMax
        let outcome: PendingCompletion.Outcome
        var result = BATON_OK
        if data.count > limit {
            outcome = .failed(ApplicationError(.contractViolation, call: callName,
                message: "completion of \(data.count) bytes passes the \(limit)-byte limit"))
            result = BATON_ERR_TOO_LARGE
        } else {
            outcome = Self.outcome(call: call, callName: callName, status: status, data: data)
        }
        onCompletion(PendingCompletion(token: PendingToken(token), call: call, outcome: outcome))
        return result
    }

    /// What `complete` may carry for each pending call (baton_plugin.h).
    static func allowed(call: PendingCompletion.Call) -> [baton_status] {
        call == .produceBlock ? [BATON_OK, BATON_ERROR] : [BATON_OK, BATON_REJECT, BATON_ERROR]
    }

    private static func outcome(call: PendingCompletion.Call, callName: String, status: baton_status, data: [UInt8])
        -> PendingCompletion.Outcome
    {
        let text = String(decoding: data, as: UTF8.self)
        switch (call, status) {
        case (.produceBlock, BATON_OK): return .produced(payload: data)
        case (.validateBlock, BATON_OK): return .valid
        case (.validateBlock, BATON_REJECT): return .invalid(reason: text)
        case (_, BATON_ERROR): return .failed(ApplicationError(.failed, call: callName, message: text))
        default:
            return .failed(ApplicationError(.contractViolation, call: callName,
                message: "completed with status \(status), which \(callName) cannot answer"))
        }
    }
}

/// Tokens of produce/validate calls whose answer may still come. Bounded.
struct PendingRegistry: ~Copyable {
    private var open: [UInt64: PendingCompletion.Call] = [:]
    private var nextToken: UInt64 = 1
    private let capacity: Int
    private(set) var closed = false

    init(capacity: Int) { self.capacity = capacity }

    /// A fresh non-zero token, or nil when too many answers are outstanding.
    mutating func open(_ call: PendingCompletion.Call) -> UInt64? {
        guard !closed, open.count < capacity else { return nil }
        let token = nextToken
        nextToken += 1
        open[token] = call
        return token
    }

    mutating func take(_ token: UInt64) -> PendingCompletion.Call? {
        closed ? nil : open.removeValue(forKey: token)
    }

    enum Taking { case unknown, refused(PendingCompletion.Call), taken(PendingCompletion.Call) }

    /// Takes `token` only if `accepts` its call; otherwise it stays open.
    mutating func take(_ token: UInt64, if accepts: (PendingCompletion.Call) -> Bool) -> Taking {
        guard !closed, let call = open[token] else { return .unknown }
        guard accepts(call) else { return .refused(call) }
        open[token] = nil
        return .taken(call)
    }

    /// After destroy, no token completes.
    mutating func close() {
        closed = true
        open.removeAll()
    }

    var count: Int { open.count }
}
