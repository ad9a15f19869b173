/// What a Swift author implements to write a Baton application.
///
/// Export it with `PluginExport` and a three-line `@_cdecl("baton_plugin_entry")`
/// function (see Plugins/Robot/Entry/RobotExport.swift). Only C types cross the ABI:
/// the kit turns them into these Swift values on the plugin's side.
///
/// Rules the host relies on (baton_plugin.h says them in full):
/// - Determinism: `validateBlock` and `commitBlock` must give every honest
///   node the same answer for the same chain. Read time, randomness or the
///   network only in `produceBlock`, or through data that is itself on chain.
/// - State lives in the host's store (`BatonHost.get/put`), never in
///   globals, and changes only inside `commitBlock`.
/// - Calls come one at a time; no locking is needed for the instance's own state.
/// - Throwing is how a call fails: the error's description reaches the node's log.
public protocol BatonApplication: AnyObject {
    /// `config` is the application's own format (empty: defaults).
    init(config: [UInt8], host: BatonHost) throws

    func checkTransaction(_ transaction: [UInt8]) throws -> TransactionVerdict

    /// `pending` lets the app answer `.pending` now and `pending.produced(…)` later.
    func produceBlock(_ block: BatonBlock, candidates: [[UInt8]], pending: PendingAnswer) throws -> Production

    func validateBlock(_ block: BatonBlock, payload: [UInt8], pending: PendingAnswer) throws -> Validation

    /// Returns the 32-byte hash of the whole app state after the block.
    func commitBlock(_ block: BatonBlock, payload: [UInt8]) throws -> [UInt8]

    func query(_ request: [UInt8]) throws -> [UInt8]

    /// The mempool transactions `payload` carries, byte for byte as they were
    /// submitted (ABI 1.2): the host hashes them to drop them from mempools
    /// and to refuse them as committed. Deterministic. The default, nil,
    /// means "cannot tell": the host then trusts only transactions it holds
    /// whose bytes the payload contains verbatim.
    func transactions(in payload: [UInt8]) throws -> [[UInt8]]?

    /// Whether this build migrates state when a live upgrade switches a chain
    /// to it (ABI 1.4): true exports `migrate_state`, which calls `migrate`.
    static var migratesState: Bool { get }

    /// Called once, inside the commit of the first block at the upgrade's
    /// height and before its `commitBlock`, when the chain switches from the
    /// application `name` `version` to this one. `host.put` works here and
    /// lands atomically with that block. Deterministic.
    func migrate(from name: String, version: String) throws

    /// Whether the host may create a second, read-only instance of this type
    /// to answer `checkTransaction`, `query` and the typed functions on
    /// another thread (ABI 1.6 `BATON_PLUGIN_SECOND_INSTANCE`). True by
    /// default: a kit app keeps its replicated state in the host store. Say
    /// false if those calls read memory only `commitBlock` keeps up to date.
    static var allowsSecondInstance: Bool { get }

    /// The 32-byte state hash recomputed from the host store alone, equal to
    /// what `commitBlock` returned for the last committed block (ABI 1.7
    /// `state_hash_from_store`). The host calls it after restoring the app's
    /// keys from a snapshot, before the node votes: a mismatch keeps the node
    /// from running that state. The default, nil, means "cannot tell" (the
    /// host then trusts the snapshot's vouched chunk hashes). Read-only.
    func stateHashFromStore() throws -> [UInt8]?

    /// The lowest height whose block the host must keep (ABI 1.7
    /// `retain_height`, as ABCI's): a function of committed state, asked
    /// after each commit and at start. The default, 0, is no wish; the host
    /// keeps its own window whatever this says.
    func retainHeight() -> UInt64
}

extension BatonApplication {
    public func transactions(in payload: [UInt8]) throws -> [[UInt8]]? { nil }
    public static var migratesState: Bool { false }
    public static var allowsSecondInstance: Bool { true }
    public func migrate(from name: String, version: String) throws {}
    public func stateHashFromStore() throws -> [UInt8]? { nil }
    public func retainHeight() -> UInt64 { 0 }
}

public enum TransactionVerdict: Sendable, Hashable {
    case accept
    case reject(String)
}

public enum Production: Sendable, Hashable {
    /// `included`: indices into `candidates` that the payload carries.
    case payload([UInt8], included: [Int])
    case pending
}

public enum Validation: Sendable, Hashable {
    case valid
    case invalid(String)
    case pending
}

/// A block's place in the chain (`baton_block_context`).
public struct BatonBlock: Sendable, Hashable {
    public var height: UInt64
    public var view: UInt64
    public var timestampMs: UInt64
    /// All zero in `produceBlock`.
    public var id: [UInt8]
    public var parentID: [UInt8]
    public var proposer: [UInt8]
    /// Payloads of non-finalized ancestors, oldest first, ending with the parent's:
    /// apply them on top of committed state to judge this block.
    public var pendingPayloads: [[UInt8]]
    /// `commitBlock` only (ABI 1.1): the host's encoded proof that this block
    /// is final — pass it on inside certificates; empty from a 1.0 host.
    public var finalityProof: [UInt8]

    public init(height: UInt64, view: UInt64, timestampMs: UInt64, id: [UInt8], parentID: [UInt8],
                proposer: [UInt8], pendingPayloads: [[UInt8]], finalityProof: [UInt8] = []) {
        self.height = height
        self.view = view
        self.timestampMs = timestampMs
        self.id = id
        self.parentID = parentID
        self.proposer = proposer
        self.pendingPayloads = pendingPayloads
        self.finalityProof = finalityProof
    }
}

/// A failure with a message for the host's log.
public struct PluginFailure: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
