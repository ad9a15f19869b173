import BatonCrypto
import Consensus
import Node
import Storage
import Synchronization

/// The order in which one node made its safety data durable and spoke: a
/// `RecordingStore` and a `RecordingTransport` write into one log.
public final class SpeechLog: Sendable {
    public enum Entry: Sendable {
        /// A safety write that returned (durable if `synced`).
        case safetyWritten(SafetyData, synced: Bool)
        case sent(Message)
    }

    private let entries = Mutex<[Entry]>([])
    public init() {}
    func append(_ entry: Entry) { entries.withLock { $0.append(entry) } }
    public var all: [Entry] { entries.withLock { $0 } }
}

/// A `NodeStore` with hooks around each safety write: before it (a test
/// may throw there, as a full disk would) and after it returned (a test may
/// record it). Everything else passes through.
public final class InterceptingStore: ConsensusStore {
    let inner: NodeStore
    let before: @Sendable (SafetyData) throws -> Void
    let after: @Sendable (SafetyData, _ synced: Bool) -> Void

    public init(_ inner: NodeStore, beforeSafetyWrite: @escaping @Sendable (SafetyData) throws -> Void = { _ in },
                afterSafetyWrite: @escaping @Sendable (SafetyData, _ synced: Bool) -> Void = { _, _ in }) {
        self.inner = inner
        before = beforeSafetyWrite
        after = afterSafetyWrite
    }

    /// Logs each safety write into `log` once it has returned.
    public static func recording(_ inner: NodeStore, into log: SpeechLog) -> InterceptingStore {
        InterceptingStore(inner, afterSafetyWrite: { log.append(.safetyWritten($0, synced: $1)) })
    }

    public func saveSafetyData(_ data: SafetyData) throws {
        try before(data)
        try inner.saveSafetyData(data)
        after(data, inner.syncSafetyWrites)
    }

    public func safetyRecovered() throws { try inner.safetyRecovered() }
    public func saveLiveness(_ data: LivenessData) throws { try inner.saveLiveness(data) }
    public func saveBlock(_ block: Block) throws { try inner.saveBlock(block) }
    public func commit(_ block: Block, certifiedBy qc: QuorumCertificate, stateHash: Bytes32, leaderRecord: LeaderRecord?) throws {
        try inner.commit(block, certifiedBy: qc, stateHash: stateHash, leaderRecord: leaderRecord)
    }
    public func discardStaged() { inner.discardStaged() }
    public func stageSchedule(named name: String, _ encoded: [UInt8]) { inner.stageSchedule(named: name, encoded) }
    public func schedule(named name: String) throws -> [UInt8]? { try inner.schedule(named: name) }
    public func stageEpochSwitch(epoch: Epoch, record: [UInt8]) throws { try inner.stageEpochSwitch(epoch: epoch, record: record) }
    public func epochRecords() throws -> [[UInt8]] { try inner.epochRecords() }
    public func block(id: BlockID) throws -> Block? { try inner.block(id: id) }
    public var oldestRetainedHeight: Height { inner.oldestRetainedHeight }
    public var retainedBlocks: Height? { inner.retainedBlocks }
    public func keepBlocks(from height: Height) { inner.keepBlocks(from: height) }
    public func restoredHeightToCheck() throws -> Height? { try inner.restoredHeightToCheck() }
    public func restoredStateChecked() throws { try inner.restoredStateChecked() }
    public func finalizedBlocks(from height: Height, limit: Int) throws -> [(block: Block, qc: QuorumCertificate)] {
        try inner.finalizedBlocks(from: height, limit: limit)
    }
    public func recoverState() throws -> RecoveredState { try inner.recoverState() }
    public func close() { inner.close() }
}

/// A transport that logs every message before passing it on.
public struct RecordingTransport: PeerTransport {
    let inner: any PeerTransport
    let log: SpeechLog

    public init(_ inner: any PeerTransport, log: SpeechLog) {
        self.inner = inner
        self.log = log
    }

    public func send(_ message: Message, to peer: PublicKey) {
        log.append(.sent(message))
        inner.send(message, to: peer)
    }

    public func broadcast(_ message: Message) {
        log.append(.sent(message))
        inner.broadcast(message)
    }

    public func start() async throws { try await inner.start() }
    public var connectedPeers: [PublicKey] { inner.connectedPeers }
    public func statistics() async -> TransportStatistics { await inner.statistics() }
    public func shutdown() async { await inner.shutdown() }
}
