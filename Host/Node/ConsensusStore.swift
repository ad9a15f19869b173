import BatonCrypto
import Consensus
import Governance

/// What the node's loop needs of durable storage (flow-go's `Persister`).
/// `NodeStore` (RocksDB) is the real one; tests wrap it to record the order
/// of writes against sends.
///
/// Contract: `saveSafetyData` returns only once the data is durable (a synced
/// write) — the loop sends the vote or timeout it guards right after. A
/// thrown error from any write is fatal to the node: it can no longer prove
/// what it signed, or keep app state and the chain in step.
public protocol ConsensusStore: AnyObject, Sendable {
    func saveSafetyData(_ data: SafetyData) throws
    /// SR-R completed: the next start is an ordinary restart.
    func safetyRecovered() throws
    func saveLiveness(_ data: LivenessData) throws
    func saveBlock(_ block: Block) throws
    /// Writes `block` as finalized with the app's staged state and its leader
    /// record (LR-1), atomically.
    func commit(_ block: Block, certifiedBy qc: QuorumCertificate, stateHash: Bytes32, leaderRecord: LeaderRecord?) throws
    /// Forgets app writes staged for a commit that failed.
    func discardStaged()
    /// Stages a kind of governance plan's schedule (`PlanKind.storageName`)
    /// for the next `commit`.
    func stageSchedule(named name: String, _ encoded: [UInt8])
    /// That schedule as of the committed head, or nil.
    func schedule(named name: String) throws -> [UInt8]?
    /// Stages the switch to `epoch` (its encoded `EpochRecord`) for the next
    /// `commit`, with the old epoch's unfinalized blocks and liveness data deleted.
    func stageEpochSwitch(epoch: Epoch, record: [UInt8]) throws
    /// Every stored epoch record, oldest first.
    func epochRecords() throws -> [[UInt8]]
    func block(id: BlockID) throws -> Block?
    /// Finalized blocks from `height` on, in order, each with a QC that certifies it.
    func finalizedBlocks(from height: Height, limit: Int) throws -> [(block: Block, qc: QuorumCertificate)]
    /// The oldest finalized height whose block is kept (`[storage] retain_blocks`; 1 when nothing was pruned).
    var oldestRetainedHeight: Height { get }
    /// The window of newest finalized heights kept; nil keeps every block.
    var retainedBlocks: Height? { get }
    /// The app's `retain_height` (ABI 1.7): keep every block at and above it (0: no wish).
    func keepBlocks(from height: Height)
    /// The height of a snapshot restored into this store whose app state the
    /// node has not checked yet (issue 31): it must neither vote nor serve until then.
    func restoredHeightToCheck() throws -> Height?
    /// That check passed: the mark goes, durably.
    func restoredStateChecked() throws
    /// Where a restarted node resumes.
    func recoverState() throws -> RecoveredState
    /// After this every call throws; idempotent.
    func close()
}

/// What a store gives back at startup.
public struct RecoveredState: Sendable {
    public var recovery: EventHandler.Recovery
    /// The last block the app committed, and the app state hash after it.
    public var committedHeight: Height
    public var committedStateHash: Bytes32

    public init(recovery: EventHandler.Recovery, committedHeight: Height, committedStateHash: Bytes32) {
        self.recovery = recovery
        self.committedHeight = committedHeight
        self.committedStateHash = committedStateHash
    }
}
