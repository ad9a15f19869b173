import BatonCrypto
import Consensus

/// The key layout of a node's RocksDB: documented key prefixes in the
/// default column family, and the finalized blocks in a `blocks` family of
/// their own (one WAL for both, so one atomic batch spans every kind of key):
///
/// | prefix | key | value |
/// | --- | --- | --- |
/// | `m/` | `schema`, `chain`, `genesis`, `head` | u32 version; chain id; genesis block id; finalized head (height, id, state hash) |
/// | `m/` | `pruned` | u64: the oldest finalized height whose block, QC and index are kept (absent: 1, nothing pruned) |
/// | `m/` | `restoring` | the manifest of a snapshot being restored into this store (absent when none is) |
/// | `m/` | `unchecked` | u64: the height of a restored snapshot whose app state the node has not yet checked against its certified hash (absent when none) |
/// | `s/` | `safety` | `SafetyData` (synchronous writes only) |
/// | `s/` | `recovering` | present from a store's creation until SR-R recovered its safety data |
/// | `l/` | `liveness` | `LivenessData` |
/// | `u/` | block id | an unfinalized block |
/// | `b/` | block id | a finalized block kept by id: the genesis, a restored snapshot's head, and every block a schema-1 store held |
/// | `c/` | block id | the QC certifying that finalized block |
/// | `h/` | height, big-endian u64 | the id of the finalized block at that height |
/// | `i/` | block id | big-endian u64: the height of that finalized block, in the `blocks` family |
/// | `e/` | height, big-endian u64 | the app state hash after that height (the newest `executedStatesKept`) |
/// | `r/` | height, big-endian u64 | the leader record of the finalized block at that height (the newest `leaderRecordsKept`) |
/// | `a/` | u16 name length, plugin name, `/`, key | one plugin's app state |
///
/// In the `blocks` family, the key is the height (big-endian u64, from 1)
/// and the value the finalized block. Why a family of its own, keyed by
/// height: blocks are most of a store's bytes. Keyed by id (a hash) among
/// the other keys, every table file spanned the whole key range, so each
/// compaction rewrote a level and the disk of a pruned store peaked at up
/// to 1.9× its size while the new files were written (docs/storage.md).
/// In height order, new blocks land in new files that RocksDB moves down
/// without rewriting, and pruning deletes whole files below the window.
///
/// Schema 2 added the family and `i/`; a schema-1 store is upgraded when it
/// opens (the family is created empty; its blocks stay under `b/`, read
/// there, and go as pruning reaches them).
enum StoreLayout {
    static let schemaVersion: UInt32 = 2

    static let schema = key("m/schema")
    static let chain = key("m/chain")
    static let genesis = key("m/genesis")
    static let head = key("m/head")
    static let pruned = key("m/pruned")
    static let restoring = key("m/restoring")
    static let unchecked = key("m/unchecked")
    static let safety = key("s/safety")
    static let recovering = key("s/recovering")
    static let liveness = key("l/liveness")
    /// `m/` + name: a kind of governance plan's schedule (plans, approvals,
    /// decisions), written with the block that changed it. The names are the
    /// kinds' (`PlanKind.storageName`: `m/upgrades`, `m/committee`); none may
    /// be another `m/` key's.
    static func schedule(named name: String) -> [UInt8] {
        precondition(!["schema", "chain", "genesis", "head", "pruned", "restoring"].contains(name) && !name.hasPrefix("epochs/"), "schedule name \(name) is taken")
        return key("m/" + name)
    }
    /// `m/epochs/` + epoch (big-endian u64): how each epoch after the first
    /// began (the node's `EpochRecord`), written with the block that ended
    /// the epoch before.
    static let epochPrefix = key("m/epochs/")
    static let unfinalizedPrefix = key("u/")
    static let finalizedPrefix = key("b/")
    static let certificatePrefix = key("c/")
    static let heightPrefix = key("h/")
    static let blockHeightPrefix = key("i/")
    /// The column family of finalized blocks keyed by height.
    static let blocksFamily = RocksDatabase.ColumnFamily(name: "blocks", memtableBytes: blocksMemtableBytes,
                                                         tableFileBytes: blocksMemtableBytes)
    /// The blocks family's memtable and table file size: its files are what
    /// pruning deletes whole, so the one straddling the window's start is
    /// at most this much kept beyond it.
    static let blocksMemtableBytes = 4 << 20
    static let appPrefix = key("a/")
    static let executedPrefix = key("e/")
    /// App state hashes kept per height, for the app-agreement rule after a
    /// restart (`ConsensusConfig.appHashesRetained`): 1,024 × 42 bytes.
    static let executedStatesKept: Height = 1_024
    static let leaderRecordPrefix = key("r/")
    /// Leader records kept (LR-1): more than the largest reputation window
    /// (2,000 blocks) plus its lag; ~60 bytes each at n = 4.
    static let leaderRecordsKept: Height = 2_100

    static func key(_ text: String) -> [UInt8] { Array(text.utf8) }

    static func unfinalized(_ id: BlockID) -> [UInt8] { unfinalizedPrefix + id.bytes }
    static func epoch(_ e: UInt64) -> [UInt8] { heightKey(epochPrefix, e) }
    static func finalized(_ id: BlockID) -> [UInt8] { finalizedPrefix + id.bytes }
    static func certificate(_ id: BlockID) -> [UInt8] { certificatePrefix + id.bytes }
    static func blockHeight(_ id: BlockID) -> [UInt8] { blockHeightPrefix + id.bytes }
    /// A block's key in the blocks family.
    static func block(at h: Height) -> [UInt8] {
        var w = WireWriter(capacity: 8)
        w.u64(h)
        return w.bytes
    }

    static func height(_ h: Height) -> [UInt8] { heightKey(heightPrefix, h) }
    static func executed(_ h: Height) -> [UInt8] { heightKey(executedPrefix, h) }
    static func leaderRecord(_ h: Height) -> [UInt8] { heightKey(leaderRecordPrefix, h) }

    private static func heightKey(_ prefix: [UInt8], _ h: Height) -> [UInt8] {
        var w = WireWriter(capacity: 10)
        w.raw(prefix)
        w.u64(h)
        return w.bytes
    }

    /// A namespace prefix no other plugin's can be a prefix of: the name's
    /// length comes first.
    static func app(_ namespace: String) -> [UInt8] {
        let name = Array(namespace.utf8)
        var w = WireWriter(capacity: name.count + 5)
        w.raw(appPrefix)
        w.u16(UInt16(name.count))
        w.raw(name)
        w.u8(0x2F)
        return w.bytes
    }
}

/// The finalized head: the last block the app committed, and its state hash.
public struct FinalizedHead: Hashable, Sendable {
    public let height: Height
    public let blockID: BlockID
    public let stateHash: Bytes32

    var encoded: [UInt8] {
        var w = WireWriter(capacity: 72)
        w.u64(height)
        w.bytes32(blockID)
        w.bytes32(stateHash)
        return w.bytes
    }

    public init(height: Height, blockID: BlockID, stateHash: Bytes32) {
        self.height = height
        self.blockID = blockID
        self.stateHash = stateHash
    }

    init(decoding bytes: [UInt8]) throws(WireDecodingError) {
        var r = WireReader(bytes)
        height = try r.u64("head.height")
        blockID = try r.bytes32("head.blockID")
        stateHash = try r.bytes32("head.stateHash")
        try r.expectEnd("head")
    }
}
