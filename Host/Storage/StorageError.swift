/// Why storage cannot be used. Each says what to do; nothing is ever silently
/// re-initialised.
public struct StorageError: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Kind: Hashable, Sendable {
        case missingDirectory
        case otherChain
        case newerSchema
        case locked
        case corrupted
        case io
        case notInitialized
        /// The marker says a store was created here; RocksDB's files are gone.
        case missingStore
        /// `db/` holds files, but neither a marker nor RocksDB's `CURRENT`.
        case unrecognized
        /// The directory is another node key's.
        case otherNode
        /// The store exists; its safety record does not.
        case missingSafetyRecord
        /// RocksDB is behind what was synced (a WAL truncated, emptied or damaged).
        case lostSyncedWrites
    }

    public let kind: Kind
    public let path: String
    public let detail: String

    init(_ kind: Kind, path: String, _ detail: String) {
        self.kind = kind
        self.path = path
        self.detail = detail
    }

    public var description: String {
        switch kind {
        case .missingDirectory:
            "\(path): no data directory here. Create the node's directory first (baton testnet writes one), or fix data_dir in the config."
        case .otherChain:
            "\(path): this data directory belongs to another chain (\(detail)). Point the node at its own directory; never reuse one across chains."
        case .newerSchema:
            "\(path): written by a newer Baton (\(detail)). Upgrade this binary; an older one must not touch it."
        case .locked:
            "\(path): already open in another process (\(detail)). Stop the other node using this directory first."
        case .corrupted:
            "\(path): the database is corrupted (\(detail)). Restore it from a backup or a peer; do not delete it without keeping a copy."
        case .io:
            "\(path): storage failed: \(detail)"
        case .missingStore:
            "\(path): a store was created here (store.id) but its database is gone (\(detail)). Nothing was initialised: restore db/ from a backup. To rebuild this node from its peers instead, move the data directory aside and start it again: a new directory signs nothing until the other members' certificates show it is safe (docs/storage.md: SR-R)."
        case .unrecognized:
            "\(path): not a Baton store (\(detail)). Nothing was touched: point data_dir at the node's own directory, or move these files aside."
        case .otherNode:
            "\(path): this data directory belongs to another node (\(detail)). Each node needs its own directory: its safety data speaks for its key alone."
        case .missingSafetyRecord:
            "\(path): the safety record (what this node last signed) is missing; the node will not guess. Restore it with the rest of the directory from a backup, or move the data directory aside and start again: a new directory signs nothing until the other members' certificates show it is safe (docs/storage.md: SR-R)."
        case .lostSyncedWrites:
            "\(path): the database lost writes that had been synced to disk (\(detail)) — a WAL truncated, emptied or damaged. The disk or the directory cannot be trusted (what it lost next may be this node's record of its votes, and running on could make it sign twice in one view), so it stops. Restore the data directory from a backup, or move it aside and start again: a new directory signs nothing until the other members' certificates show it is safe (docs/storage.md: SR-R)."
        case .notInitialized:
            "\(path): a directory exists but holds no Baton store (\(detail)). Initialise it explicitly, or point to the right directory."
        }
    }
}
