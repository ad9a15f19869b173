import BatonCrypto
import Consensus

#if canImport(Glibc)
import Glibc
#endif

/// Snapshots of a node's state (issue 31, item 2): the keys a node needs to
/// resume at a finalized height without the blocks below it, read from one
/// consistent view of RocksDB while commits go on, cut into hashed chunks.
///
/// The chunks hold only what every honest node holds alike at that height
/// (the head, its block and height entry, the app's key space, the state
/// hash and leader record windows, the governance schedules), so members
/// that snapshot the same height write the same chunks and the same
/// manifest: a syncing node can fetch chunks from any of them and count
/// who vouches for one manifest. What differs between nodes — the head's
/// certificate (any quorum's) and the epoch switch records (each as its
/// node saw the switch) — is the snapshot's `anchor`, checked on its own.
///
/// On disk a snapshot is a folder: `chunk-00000`, `chunk-00001`, …,
/// `anchor` and `manifest`, written last and atomically — a folder without
/// a manifest is an interrupted snapshot, never offered.
extension NodeStore {
    /// Writes a snapshot of the committed head (or of the head `view` saw)
    /// into `folder` (created; it must not exist) and returns its manifest.
    /// On failure the folder is removed.
    public func writeSnapshot(into folder: String, at view: RocksDatabase.PointInTime? = nil,
                              chunkBytesMax: Int = SnapshotManifest.chunkBytesDefault) throws(StorageError) -> SnapshotManifest {
        guard mkdir(folder, 0o700) == 0 else { throw DurableFile.failure(folder, "create the snapshot folder") }
        do throws(StorageError) {
            return try writeSnapshotFiles(into: folder, at: view, chunkBytesMax: chunkBytesMax)
        } catch {
            SnapshotFolder.remove(folder)
            throw error
        }
    }

    private func writeSnapshotFiles(into folder: String, at view: RocksDatabase.PointInTime?,
                                    chunkBytesMax: Int) throws(StorageError) -> SnapshotManifest {
        var writer = SnapshotChunkWriter(folder: folder, chunkBytesMax: chunkBytesMax)
        var anchor = WireWriter(capacity: 4096)
        var head: FinalizedHead?
        var failure: StorageError?
        var plan = SnapshotKeys.Plan()
        try settled.scanConsistently(at: view, next: { plan.next(head: head) }) { key, value in
            if head == nil, key == StoreLayout.head {
                guard let decoded = try? FinalizedHead(decoding: value) else {
                    failure = StorageError(.corrupted, path: path, "the finalized head record is malformed")
                    return false
                }
                head = decoded
            }
            switch SnapshotKeys.place(key, plan: plan) {
            case .chunks:
                do throws(StorageError) {
                    try writer.add(key, value)
                    // The head's block follows the head, under its id as a
                    // schema-1 store wrote it (the next step finds it there
                    // in such a store), so every member's chunks are alike.
                    if plan.step == 1, let head, let block = try finalizedBlockBytes(at: head.height, view: view) {
                        try writer.add(StoreLayout.finalized(head.blockID), block)
                    }
                } catch {
                    failure = error
                    return false
                }
            case .anchor:
                anchor.blob(key)
                anchor.blob(value)
            case .left: break
            }
            return true
        }
        if let failure { throw failure }
        guard let head else { throw StorageError(.corrupted, path: path, "no finalized head record") }
        let (hashes, sizes, records) = try writer.finish()
        try DurableFile.replace(folder + "/anchor", with: anchor.bytes)
        let manifest = SnapshotManifest(genesis: genesis.id, head: head, chunkHashes: hashes, chunkSizes: sizes, records: records)
        try DurableFile.replace(folder + "/manifest", with: manifest.encoded)
        return manifest
    }
}

/// Which keys a snapshot holds, where, and in which order they are read.
public enum SnapshotKeys {
    /// The scan's steps: the head first (the exact key), then the head's
    /// block (under its id: found there in the default family only when
    /// it is kept by id, see `writeSnapshotFiles`) and height entry (known once the head is read), the key
    /// spaces, and last the anchor's keys. Without a head record the scan
    /// ends (the snapshot fails).
    struct Plan {
        var step = 0
        mutating func next(head: FinalizedHead?) -> [UInt8]? {
            defer { step += 1 }
            switch step {
            case 0: return StoreLayout.head
            case 1: return head.map { StoreLayout.finalized($0.blockID) }
            case 2: return head.map { StoreLayout.height($0.height) }
            case 3: return StoreLayout.appPrefix
            case 4: return StoreLayout.executedPrefix
            case 5: return StoreLayout.leaderRecordPrefix
            case 6: return key("m/")
            case 7: return head.map { StoreLayout.certificate($0.blockID) }
            case 8: return StoreLayout.epochPrefix
            default: return nil
            }
        }
    }

    enum Place { case chunks, anchor, left }

    static func key(_ text: String) -> [UInt8] { Array(text.utf8) }

    /// `m/` keys a snapshot leaves out: the store's identity is the
    /// restoring store's own, and its pruning floor is its own.
    static let notTaken: Set<[UInt8]> = [StoreLayout.schema, StoreLayout.chain, StoreLayout.genesis, StoreLayout.pruned,
                                         StoreLayout.restoring, StoreLayout.unchecked]

    /// Where the key read at this step goes (the head is read twice: alone
    /// first, then among the `m/` keys; the epoch records among them are
    /// the anchor's, read at their own step).
    static func place(_ key: [UInt8], plan: Plan) -> Place {
        switch plan.step - 1 {  // `next` has advanced past the step being read
        case 6:
            return key == StoreLayout.head || notTaken.contains(key) || key.starts(with: StoreLayout.epochPrefix) ? .left : .chunks
        case 7, 8: return .anchor
        default: return .chunks
        }
    }

    /// The anchor records for `head`: its certificate and the epoch records
    /// (epoch 1 first), as a state sync restores them once it checked them.
    public static func anchor(head: FinalizedHead, certificate: [UInt8], epochRecords: [[UInt8]]) -> [(key: [UInt8], value: [UInt8])] {
        [(StoreLayout.certificate(head.blockID), certificate)]
            + epochRecords.enumerated().map { (StoreLayout.epoch(UInt64($0.offset + 1)), $0.element) }
    }

    /// An anchor holds the head's certificate and epoch records, nothing else.
    static func isAnchor(_ key: [UInt8], head: FinalizedHead) -> Bool {
        key == StoreLayout.certificate(head.blockID) || key.starts(with: StoreLayout.epochPrefix)
    }
}

/// Cuts records into chunk files of at most `chunkBytesMax` bytes (a larger
/// single record makes a chunk of its own), each fsynced, hashed as written.
struct SnapshotChunkWriter {
    let folder: String
    let chunkBytesMax: Int
    private var buffer: [UInt8] = []
    private var hashes: [Bytes32] = []
    private var sizes: [UInt64] = []
    private var records: UInt64 = 0

    init(folder: String, chunkBytesMax: Int) {
        self.folder = folder
        self.chunkBytesMax = chunkBytesMax
    }

    static func chunkPath(_ folder: String, _ index: Int) -> String {
        folder + "/chunk-" + String(repeating: "0", count: max(0, 5 - String(index).count)) + String(index)
    }

    mutating func add(_ key: [UInt8], _ value: [UInt8]) throws(StorageError) {
        let size = 8 + key.count + value.count
        if !buffer.isEmpty, buffer.count + size > chunkBytesMax { try flush() }
        var w = WireWriter(capacity: size)
        w.blob(key)
        w.blob(value)
        buffer += w.bytes
        records += 1
    }

    mutating func finish() throws(StorageError) -> (hashes: [Bytes32], sizes: [UInt64], records: UInt64) {
        if !buffer.isEmpty { try flush() }
        return (hashes, sizes, records)
    }

    private mutating func flush() throws(StorageError) {
        guard hashes.count < SnapshotManifest.chunksMax else {
            throw StorageError(.io, path: folder, "a snapshot would need more than \(SnapshotManifest.chunksMax) chunks")
        }
        let path = Self.chunkPath(folder, hashes.count)
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw DurableFile.failure(path, "create") }
        let written = buffer.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        let synced = fsync(fd) == 0
        close(fd)
        guard written == buffer.count, synced else { throw DurableFile.failure(path, "write") }
        hashes.append(SHA256Digest.hash(buffer))
        sizes.append(UInt64(buffer.count))
        buffer.removeAll(keepingCapacity: true)
    }
}

extension NodeStore {
    /// The manifest of a restore a crash interrupted, if any: only that
    /// snapshot may finish it (`restoreSnapshot`).
    public func unfinishedRestore() throws(StorageError) -> SnapshotManifest? {
        guard let marker = try settled.get(StoreLayout.restoring) else { return nil }
        do { return try SnapshotManifest.decode(marker) } catch {
            throw StorageError(.corrupted, path: path, "the unfinished restore's manifest is malformed: move the directory aside and start again")
        }
    }

    /// The head of a restored snapshot whose app state the node has not yet
    /// checked against the certified hash (the plugin's `state_hash_from_store`),
    /// or nil. Until `stateChecked()`, the node must neither vote nor serve.
    public func restoredStateToCheck() throws(StorageError) -> FinalizedHead? {
        guard try settled.get(StoreLayout.unchecked) != nil else { return nil }
        return try finalizedHead()
    }

    /// The restored state passed its check (or the app cannot check it and
    /// the node accepted the vouched chunks): the mark goes, durably.
    public func stateChecked() throws(StorageError) {
        let batch = WriteBatch()
        batch.delete(StoreLayout.unchecked)
        try db.write(batch, sync: true)
    }

    /// Restores a verified snapshot into this store, which must hold no
    /// finalized block yet (a new data directory), or be in the middle of
    /// restoring the same snapshot (a restore interrupted by a crash
    /// resumes). Returns the manifest.
    ///
    /// Invariant: the head moves to the snapshot's height only in the last,
    /// synchronous write, with the pruning floor at that height and the
    /// restore marker removed; until then `recover()` refuses the store, so a
    /// half-restored state is never run. The safety data is not restored: a
    /// store created by this open recovers it (SR-R) before it signs.
    ///
    /// `anchor`: the head's certificate and the epoch records, when the
    /// caller checked them (a state sync); else the folder's `anchor` file.
    public func restoreSnapshot(from folder: String, anchor: [(key: [UInt8], value: [UInt8])]? = nil)
        throws(StorageError) -> SnapshotManifest
    {
        let manifest = try SnapshotFolder.manifest(of: folder)
        guard manifest.genesis == genesis.id else {
            throw StorageError(.otherChain, path: folder, "the snapshot is of another chain (genesis \(manifest.genesis.short)…, this store's \(genesis.id.short)…)")
        }
        if let marker = try settled.get(StoreLayout.restoring) {
            guard marker == manifest.encoded else {
                throw StorageError(.corrupted, path: path, "this store is in the middle of restoring another snapshot: move the directory aside and start again")
            }
        } else {
            guard try finalizedHead().height == 0 else {
                throw StorageError(.corrupted, path: path, "a snapshot restores only into a new store; this one holds blocks up to height \(try finalizedHead().height)")
            }
            let begin = WriteBatch()
            begin.put(StoreLayout.restoring, manifest.encoded)
            try db.write(begin, sync: true)
        }
        var head: [UInt8]?
        for index in manifest.chunkHashes.indices {
            let batch = WriteBatch()
            for (key, value) in try SnapshotFolder.chunk(index, of: manifest, in: folder) {
                guard !SnapshotKeys.notTaken.contains(key), !SnapshotKeys.isAnchor(key, head: manifest.head) else {
                    throw StorageError(.corrupted, path: folder, "snapshot chunk \(index) holds a key no snapshot chunk may hold")
                }
                if key == StoreLayout.head { head = value } else { batch.put(key, value) }
            }
            try db.write(batch, sync: false)
        }
        let anchorBatch = WriteBatch()
        let anchorRecords: [(key: [UInt8], value: [UInt8])]
        if let anchor { anchorRecords = anchor } else { anchorRecords = try SnapshotFolder.anchor(of: folder) }
        for (key, value) in anchorRecords {
            guard SnapshotKeys.isAnchor(key, head: manifest.head) else {
                throw StorageError(.corrupted, path: folder, "the snapshot's anchor holds a key that is not the head's certificate or an epoch record")
            }
            anchorBatch.put(key, value)
        }
        try db.write(anchorBatch, sync: false)
        guard let head, head == manifest.head.encoded else {
            throw StorageError(.corrupted, path: folder, "the snapshot's head record is missing or not its manifest's")
        }
        let end = WriteBatch()
        end.put(StoreLayout.head, head)
        var w = WireWriter(capacity: 8)
        w.u64(manifest.head.height)
        end.put(StoreLayout.pruned, w.bytes)
        end.delete(StoreLayout.restoring)
        // The app's own check comes when the node has loaded its plugin (`restoredStateToCheck`).
        end.put(StoreLayout.unchecked, w.bytes)
        try db.write(end, sync: true)
        prunedFloor.store(manifest.head.height, ordering: .releasing)
        return manifest
    }
}
