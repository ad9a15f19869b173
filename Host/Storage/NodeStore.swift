import BatonCrypto
import Consensus
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A node's durable state in RocksDB: what consensus must never forget
/// (safety data, synchronously — in the safety record, `SafetyRecordFile`),
/// what it may re-fetch (blocks, liveness, lazily), and the finalized chain
/// with the app's state, committed together and synced off the loop
/// (`WALSyncer`).
///
/// Thread safety: RocksDB is; the staged app writes are not — the node's
/// single event loop is the only caller of `stage` and `commit`.
public final class NodeStore: @unchecked Sendable {
    public let path: String
    let db: RocksDatabase
    public let genesis: Block
    /// App writes staged by `AppNamespace.stage`, in staging order, landing
    /// with the next commit (nil value: delete).
    private var staged: [(key: [UInt8], value: [UInt8]?)] = []

    /// The checksummed safety record beside the database (see `SafetyRecordFile`).
    private let safetyRecord: SafetyRecordFile
    /// Syncs committed blocks in the background and knows how far they are durable.
    private let walSyncer: WALSyncer
    /// Writes committed blocks' batches off the loop; reads wait for it (`settled`).
    private let commitWriter: CommitWriter
    /// The next commit ends an epoch: written synchronously (see `stageEpochSwitch`).
    private var syncNextCommit = false
    /// The oldest finalized height whose block is kept (`m/pruned`; 1 when nothing was pruned).
    let prunedFloor: Atomic<UInt64>
    /// The height of the newest snapshot taken since the snapshotter
    /// started (0: none).
    let newestSnapshotHeight = Atomic<UInt64>(0)
    /// The height of the oldest snapshot kept on disk (0: none): pruning
    /// keeps the blocks from it up, so a node restoring any snapshot this
    /// one still offers can catch up from its height.
    let oldestSnapshotHeight = Atomic<UInt64>(0)
    /// The app's `retain_height` (ABI 1.7): pruning keeps every block at and above it; 0 none.
    let appRetainHeight = Atomic<UInt64>(0)
    /// Deletes blocks below the retained window, when `startPruning` was called.
    let pruner = Mutex<BlockPruner?>(nil)
    /// Takes snapshots every so many heights, when `startSnapshots` was called.
    let snapshots = Mutex<Snapshotter?>(nil)
    /// The store was created by this open.
    public let created: Bool
    /// The file in a data directory that says a store was created there (`StoreMarker`).
    public static var markerFileName: String { StoreMarker.fileName }

    /// false only to measure what the fsync costs (`baton bench cluster
    /// --no-sync`): a crash may then lose the safety data and let the node
    /// sign twice in one view. Never in production.
    public var syncSafetyWrites = true

    /// Opens the store in `directory` for the chain of `genesis`.
    ///
    /// Whether a store exists is decided by the marker written at its
    /// creation (`StoreMarker`) and the directory's contents, never by
    /// RocksDB's `CURRENT` alone:
    /// - no marker, `db/` missing or empty: a new store, created if `create`;
    /// - no marker, `db/CURRENT` present: a store from before markers, opened
    ///   as it is and given its marker;
    /// - no marker, other files in `db/`: not a store this binary knows (`unrecognized`);
    /// - a marker: the store must open as it is (`missingStore` otherwise), be
    ///   of this chain and, when `owner` is given, of this node key; its
    ///   safety data and finalized height must not be behind the safety
    ///   record's (`lostSyncedWrites`).
    ///
    /// - Throws: `missingDirectory`, `otherChain`, `otherNode`, `newerSchema`,
    ///   `locked`, `corrupted`, `notInitialized`, `missingStore`,
    ///   `unrecognized`, `missingSafetyRecord`, `lostSyncedWrites`, `io`.
    public init(directory: String, genesis: Block, create: Bool = false, owner: PublicKey? = nil) throws(StorageError) {
        var info = stat()
        guard stat(directory, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR else {
            throw StorageError(.missingDirectory, path: directory, "")
        }
        path = directory
        self.genesis = genesis
        let dbPath = directory + "/db"
        let marker = try StoreMarker.read(directory: directory)
        let expected = StoreMarker(chain: genesis.parentID, genesis: genesis.id, node: owner)
        var creating = false
        if let marker {
            guard marker.chain == expected.chain, marker.genesis == expected.genesis else {
                throw StorageError(.otherChain, path: directory,
                                   "its genesis is \(Hex.encode(marker.genesis.bytes.prefix(4)))…, the configured one \(genesis.id.short)…")
            }
            if let owner, let node = marker.node, node != owner {
                throw StorageError(.otherNode, path: directory, "it was created for node \(node.hex), the configured key is \(owner.hex)")
            }
            guard access(dbPath + "/CURRENT", F_OK) == 0 else {
                throw StorageError(.missingStore, path: directory, "db/CURRENT is missing")
            }
        } else {
            let files = Self.storeFiles(in: dbPath)
            if files.isEmpty {
                guard create else { throw StorageError(.notInitialized, path: directory, "no store in db/") }
                creating = true
            } else if !files.contains("CURRENT") {
                throw StorageError(.unrecognized, path: directory,
                                   "db/ holds \(files.count) files but no CURRENT, and there is no \(StoreMarker.fileName)")
            }
        }
        let (record, recorded) = try SafetyRecordFile.open(directory: directory, create: marker == nil)
        if let recorded {
            // Checked read-only first: a store refused here is left exactly
            // as it was found (a read-write open would write RocksDB's
            // recovery back and retire the WAL it had, so putting a damaged
            // WAL back from a copy could no longer help).
            let check = try RocksDatabase(path: dbPath, createIfMissing: false, readOnly: true)
            try Self.checkIdentity(check, genesis: genesis, path: directory, create: false, marked: true)
            let head = try Self.finalizedHead(check, path: directory)
            var epochs: UInt64 = 0
            try check.scan(prefix: StoreLayout.epochPrefix) { _, _ in
                epochs += 1
                return true
            }
            check.close()
            try Self.checkNotBehind(height: head.height, epochs: epochs, recorded: recorded, path: directory)
        }
        let db = try RocksDatabase(path: dbPath, createIfMissing: creating, columnFamilies: [StoreLayout.blocksFamily])
        self.db = db
        safetyRecord = record
        created = creating
        let version = try Self.checkIdentity(db, genesis: genesis, path: directory, create: creating, marked: marker != nil)
        if version < StoreLayout.schemaVersion { try Self.upgradeSchema(db) }
        let head = try Self.finalizedHead(db, path: directory)
        // What the open recovered from the WAL is durable from here on.
        try db.syncWAL()
        walSyncer = WALSyncer(db: db, durable: head.height)
        commitWriter = CommitWriter(db: db)
        prunedFloor = Atomic(try Self.readPrunedFloor(db, path: directory))
        let stored = try Self.decoded(db, StoreLayout.safety, as: SafetyData.self, path: directory) ?? SafetyData()
        if let recorded {
            // A vote waits for the record alone, so RocksDB's copy may be
            // behind it (a lost lazy write), or ahead (a crash between the two
            // writes, or a record slot damaged since): the later of the two is
            // the safety data, and both are made to hold it.
            let safety = Self.later(stored, recorded.safety)
            if safety != stored {
                let batch = WriteBatch()
                batch.put(StoreLayout.safety, safety.encoded)
                try db.write(batch, sync: true)
            }
            if safety != recorded.safety {
                try record.write(SafetyRecordFile.Record(safety: safety, finalizedHeight: recorded.finalizedHeight), sync: true)
            }
        } else {
            try record.write(SafetyRecordFile.Record(safety: stored, finalizedHeight: head.height), sync: true)
        }
        if marker == nil { try expected.write(directory: directory) }
    }

    /// The later of two safety data written by this node: each write raises
    /// at least one of these views and lowers none (within an epoch), so of
    /// two states one holds every view of the other, and the order of the
    /// tuple is theirs. Taking the later is safe either way: it refuses more.
    static func later(_ a: SafetyData, _ b: SafetyData) -> SafetyData {
        func key(_ d: SafetyData) -> (Epoch, View, View, View, View) {
            (d.epoch, d.highestSignedView, d.highestVotedView, d.highestTimeoutView, d.votesRefusedThrough)
        }
        return key(b) > key(a) ? b : a
    }

    /// RocksDB must hold every block the record says was synced, and the
    /// committee change that began the epoch the record's safety data is of
    /// (that commit is synchronous); its own copy of the safety data is not
    /// checked — the record is the safety data.
    private static func checkNotBehind(height: Height, epochs: UInt64, recorded: SafetyRecordFile.Record,
                                       path: String) throws(StorageError) {
        var lost: [String] = []
        if epochs < recorded.safety.epoch {
            lost.append("it knows \(epochs) committee changes, the safety record's data is of epoch \(recorded.safety.epoch)")
        }
        if height < recorded.finalizedHeight {
            lost.append("its finalized height is \(height), the safety record says \(recorded.finalizedHeight) was synced")
        }
        if !lost.isEmpty { throw StorageError(.lostSyncedWrites, path: path, lost.joined(separator: "; ")) }
    }

    /// The files of `db/` that only a store has (RocksDB's own logs and lock
    /// are left by a failed open too).
    private static func storeFiles(in dbPath: String) -> [String] {
        guard let folder = opendir(dbPath) else { return [] }
        defer { closedir(folder) }
        var names: [String] = []
        while let entry = readdir(folder) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name == "." || name == ".." || name == "LOCK" || name.hasPrefix("LOG") { continue }
            names.append(name)
        }
        return names
    }

    /// Schema and chain identity: written once at creation, checked at every
    /// open. Returns the store's schema version (this binary's when created).
    /// - Parameter marked: the directory has a store marker, so a store
    ///   without records lost them (it was not merely never made).
    @discardableResult
    private static func checkIdentity(_ db: RocksDatabase, genesis: Block, path: String, create: Bool,
                                      marked: Bool) throws(StorageError) -> UInt32 {
        guard let schemaBytes = try db.get(StoreLayout.schema) else {
            if marked { throw StorageError(.lostSyncedWrites, path: path, "the database holds no records at all, not even its schema") }
            guard create else { throw StorageError(.notInitialized, path: path, "no schema record") }
            let batch = WriteBatch()
            var schema = WireWriter()
            schema.u32(StoreLayout.schemaVersion)
            batch.put(StoreLayout.schema, schema.bytes)
            batch.put(StoreLayout.chain, genesis.parentID.bytes)  // genesis.parentID is the chain id
            batch.put(StoreLayout.genesis, genesis.id.bytes)
            // The genesis stays under its id: the blocks family holds heights
            // from 1, so pruning may delete any of its files.
            batch.put(StoreLayout.finalized(genesis.id), genesis.encoded)
            batch.put(StoreLayout.height(0), genesis.id.bytes)
            batch.put(StoreLayout.head, FinalizedHead(height: 0, blockID: genesis.id, stateHash: .zero).encoded)
            // A new store has no safety data, and its node may have had some
            // elsewhere: SR-R applies until it completes (`safetyRecovered`).
            batch.put(StoreLayout.recovering, [1])
            try db.write(batch, sync: true)
            return StoreLayout.schemaVersion
        }
        var reader = WireReader(schemaBytes)
        guard let version = try? reader.u32("schema") else {
            throw StorageError(.corrupted, path: path, "unreadable schema record")
        }
        guard version <= StoreLayout.schemaVersion else {
            throw StorageError(.newerSchema, path: path, "schema \(version), this binary reads up to \(StoreLayout.schemaVersion)")
        }
        let chain = try db.get(StoreLayout.chain)
        let genesisID = try db.get(StoreLayout.genesis)
        guard chain == genesis.parentID.bytes, genesisID == genesis.id.bytes else {
            let found = genesisID.map { Hex.encode($0.prefix(4)) } ?? "none"
            throw StorageError(.otherChain, path: path, "its genesis is \(found)…, the configured one \(genesis.id.short)…")
        }
        return version
    }

    /// A schema-1 store becomes schema 2 by saying so: the open created its
    /// (empty) blocks family, and its blocks stay readable under `b/`.
    private static func upgradeSchema(_ db: RocksDatabase) throws(StorageError) {
        var schema = WireWriter()
        schema.u32(StoreLayout.schemaVersion)
        let batch = WriteBatch()
        batch.put(StoreLayout.schema, schema.bytes)
        try db.write(batch, sync: true)
    }

    // MARK: - Consensus state

    /// Synchronous: returns only once the safety record is on disk (one
    /// fdatasync), with the finalized height known durable. The vote or
    /// timeout this guards may be sent after it returns, not before.
    /// RocksDB's copy is written lazily (the record is put back into it at
    /// open): one fsync per vote instead of two.
    public func saveSafetyData(_ data: SafetyData) throws(StorageError) {
        if let failure = walSyncer.failure ?? commitWriter.failure { throw failure }
        let batch = WriteBatch()
        batch.put(StoreLayout.safety, data.encoded)
        try db.write(batch, sync: false)
        try safetyRecord.write(SafetyRecordFile.Record(safety: data, finalizedHeight: walSyncer.durableHeight),
                               sync: syncSafetyWrites)
    }

    /// SR-R completed (its safety data, with the recovered floor, was saved
    /// before): later starts are ordinary restarts.
    public func safetyRecovered() throws(StorageError) {
        let batch = WriteBatch()
        batch.delete(StoreLayout.recovering)
        try db.write(batch, sync: syncSafetyWrites)
    }

    public func saveLiveness(_ data: LivenessData) throws(StorageError) {
        let batch = WriteBatch()
        batch.put(StoreLayout.liveness, data.encoded)
        try db.write(batch, sync: false)
    }

    /// Lazily: an unfinalized block (re-fetchable from peers if lost).
    public func saveBlock(_ block: Block) throws(StorageError) {
        let batch = WriteBatch()
        batch.put(StoreLayout.unfinalized(block.id), block.encoded)
        try db.write(batch, sync: false)
    }

    /// One finalized block, its certificate, the app's staged writes and the
    /// app state hash after it: one atomic batch. After a crash at any point
    /// the app state and the finalized height agree.
    ///
    /// `leaderRecord`: the block's record (LR-1), kept for the newest
    /// `leaderRecordsKept` heights so a restart resumes the same election.
    public func commit(_ block: Block, certifiedBy qc: QuorumCertificate, stateHash: Bytes32,
                       leaderRecord: LeaderRecord? = nil) throws(StorageError) {
        let batch = WriteBatch()
        if let leaderRecord {
            batch.put(StoreLayout.leaderRecord(block.height), leaderRecord.encoded)
            if block.height > StoreLayout.leaderRecordsKept {
                batch.delete(StoreLayout.leaderRecord(block.height - StoreLayout.leaderRecordsKept))
            }
        }
        batch.put(StoreLayout.block(at: block.height), block.encoded, family: StoreLayout.blocksFamily.name)
        var height = WireWriter(capacity: 8)
        height.u64(block.height)
        batch.put(StoreLayout.blockHeight(block.id), height.bytes)
        batch.delete(StoreLayout.unfinalized(block.id))
        batch.put(StoreLayout.certificate(block.id), qc.encoded)
        batch.put(StoreLayout.height(block.height), block.id.bytes)
        batch.put(StoreLayout.head, FinalizedHead(height: block.height, blockID: block.id, stateHash: stateHash).encoded)
        batch.put(StoreLayout.executed(block.height), stateHash.bytes)
        if block.height > StoreLayout.executedStatesKept {
            batch.delete(StoreLayout.executed(block.height - StoreLayout.executedStatesKept))
        }
        // In key order: RocksDB's memtable skip list reuses its insert
        // position for ascending keys (profiled: unordered app writes made the
        // memtable insert the node's top cost under load). Equal keys keep
        // their staging order, so the last write to a key stays last.
        let order = staged.indices.sorted { a, b in
            switch Self.compare(staged[a].key, staged[b].key) {
            case 0: a < b
            case let c: c < 0
            }
        }
        for index in order {
            let (key, value) = staged[index]
            if let value { batch.put(key, value) } else { batch.delete(key) }
        }
        staged.removeAll()
        let synchronous = syncNextCommit
        syncNextCommit = false
        // `--no-sync` measures the cost of every fsync: none in the background either.
        let syncer = syncSafetyWrites ? walSyncer : nil
        let snapshotter = snapshots.withLock { $0 }
        if synchronous {
            try commitWriter.settle()
            try db.write(batch, sync: true)
            syncer?.committed(block.height)
            snapshotter?.landed(block.height)
        } else {
            let height = block.height
            try commitWriter.write(batch) {
                syncer?.committed(height)
                snapshotter?.landed(height)
            }
        }
        pruner.withLock { $0 }?.committed(block.height)
    }

    /// The database once every commit handed to the background writer has
    /// landed: every read goes through it, so readers see each commit as if
    /// it had been written in place.
    var settled: RocksDatabase {
        commitWriter.drain()
        return db
    }

    /// The finalized height known to be on disk.
    public var durableHeight: Height { walSyncer.durableHeight }

    /// Makes every commit so far durable now (tests; the background syncer does it otherwise).
    public func syncCommitted() throws(StorageError) {
        try commitWriter.settle()
        try walSyncer.syncNow()
    }

    /// A store dropped without `close` stops its syncer first (the database
    /// closes when the syncer lets go of it).
    deinit {
        commitWriter.drain()
        walSyncer.close()
    }

    /// Closes the database (see `RocksDatabase.close`); later calls throw.
    public func close() {
        stopSnapshots()
        stopPruning()
        commitWriter.drain()
        walSyncer.close()
        db.close()
    }

    /// Stages a kind of governance plan's encoded schedule for the next
    /// `commit`: it lands atomically with the block whose host transactions
    /// changed it.
    public func stageSchedule(named name: String, _ encoded: [UInt8]) { stage(StoreLayout.schedule(named: name), encoded) }

    /// That schedule as of the committed head, or nil (none yet).
    public func schedule(named name: String) throws(StorageError) -> [UInt8]? { try settled.get(StoreLayout.schedule(named: name)) }

    /// Stages the switch to `epoch` for the next `commit` (the block that
    /// ends the epoch before), so both land in one batch: the record, and
    /// the old epoch's liveness data and unfinalized blocks deleted — they
    /// are never committed (EP-1) and must not be replayed into the new
    /// epoch's tree after a restart. The safety data stays: it names its
    /// epoch, and the new core starts from empty data of its own (EP-2).
    /// That commit is synchronous: the new core's safety data (in the
    /// record) names the new epoch, and a store that lost the switch is
    /// caught at open.
    public func stageEpochSwitch(epoch: UInt64, record: [UInt8]) throws(StorageError) {
        syncNextCommit = true
        stage(StoreLayout.epoch(epoch), record)
        stage(StoreLayout.liveness, nil)
        var unfinalized: [[UInt8]] = []
        try settled.scan(prefix: StoreLayout.unfinalizedPrefix) { key, _ in
            unfinalized.append(key)
            return true
        }
        for key in unfinalized { stage(key, nil) }
    }

    /// Every stored epoch record, oldest first.
    public func epochRecords() throws(StorageError) -> [[UInt8]] {
        var records: [[UInt8]] = []
        try settled.scan(prefix: StoreLayout.epochPrefix) { _, value in
            records.append(value)
            return true
        }
        return records
    }

    /// Drops app writes staged for a commit that will not happen.
    public func discardStaged() {
        staged.removeAll()
        syncNextCommit = false
    }

    // MARK: - Recovery and reads

    public struct Recovered: Sendable {
        public let head: FinalizedHead
        public let finalized: Block
        public let unfinalized: [Block]
        public let safety: SafetyData
        public let liveness: LivenessData?
        /// The app state hash at each of the newest committed heights (and the head's).
        public let executedStates: [Height: Bytes32]
        /// SR-R has not completed since the store was created.
        public let safetyLost: Bool
        /// LR-1: the newest leader records, oldest first (the core keeps its epoch's).
        public var leaderRecords: [LeaderRecord] = []

        /// Where the consensus core resumes.
        public var recovery: EventHandler.Recovery {
            EventHandler.Recovery(safety: safety, liveness: liveness, finalized: finalized, unfinalized: unfinalized,
                                  executedStates: executedStates, safetyLost: safetyLost, leaderRecords: leaderRecords)
        }
    }

    /// Everything a restarted node resumes from. Unfinalized blocks at or
    /// below the finalized view (lost forks) are deleted on the way.
    public func recover() throws(StorageError) -> Recovered {
        guard try settled.get(StoreLayout.restoring) == nil else {
            throw StorageError(.corrupted, path: path, "a snapshot restore into this store did not finish: "
                               + "restore it again (it resumes), or move the directory aside and start again")
        }
        let head = try finalizedHead()
        guard let finalized = try finalizedBlock(id: head.blockID) else {
            throw StorageError(.corrupted, path: path, "the finalized head \(head.blockID.short) has no block")
        }
        var unfinalized: [Block] = []
        let stale = WriteBatch()
        var decodeFailure: WireDecodingError?
        try settled.scan(prefix: StoreLayout.unfinalizedPrefix) { key, value in
            do throws(WireDecodingError) {
                let block = try Block.decode(value)
                if block.view > finalized.view { unfinalized.append(block) } else { stale.delete(key) }
            } catch {
                decodeFailure = error
                return false
            }
            return true
        }
        if let decodeFailure { throw StorageError(.corrupted, path: path, "an unfinalized block: \(decodeFailure)") }
        if stale.count > 0 { try db.write(stale, sync: false) }
        let safety = try decoded(StoreLayout.safety, as: SafetyData.self) ?? SafetyData()
        let liveness = try decoded(StoreLayout.liveness, as: LivenessData.self)
        // Stores written before the window existed hold only the head's hash.
        var executedStates: [Height: Bytes32] = [head.height: head.stateHash]
        let from = head.height > StoreLayout.executedStatesKept ? head.height - StoreLayout.executedStatesKept + 1 : 1
        var badEntry = false
        try settled.scan(prefix: StoreLayout.executedPrefix, from: StoreLayout.executed(from)) { key, value in
            var r = WireReader(Array(key.dropFirst(StoreLayout.executedPrefix.count)))
            guard let height = try? r.u64("executed.height"), let hash = Bytes32(value) else {
                badEntry = true
                return false
            }
            if height <= head.height { executedStates[height] = hash }
            return true
        }
        if badEntry { throw StorageError(.corrupted, path: path, "an app state hash entry (e/) is malformed") }
        var recovered = Recovered(head: head, finalized: finalized, unfinalized: unfinalized, safety: safety, liveness: liveness,
                                  executedStates: executedStates, safetyLost: try settled.get(StoreLayout.recovering) != nil)
        recovered.leaderRecords = try leaderRecords(upTo: head.height)
        return recovered
    }

    /// The kept leader records at or below `height`, oldest first. A store
    /// from before records existed has none: the election starts empty and
    /// agrees again with the others once a window of new records passed.
    func leaderRecords(upTo height: Height) throws(StorageError) -> [LeaderRecord] {
        let from = height > StoreLayout.leaderRecordsKept ? height - StoreLayout.leaderRecordsKept + 1 : 1
        var records: [LeaderRecord] = []
        var badEntry = false
        try settled.scan(prefix: StoreLayout.leaderRecordPrefix, from: StoreLayout.leaderRecord(from)) { _, value in
            guard let record = try? LeaderRecord.decode(value) else {
                badEntry = true
                return false
            }
            if record.height <= height { records.append(record) }
            return true
        }
        if badEntry { throw StorageError(.corrupted, path: path, "a leader record (r/) is malformed") }
        return records
    }

    public func finalizedHead() throws(StorageError) -> FinalizedHead { try Self.finalizedHead(settled, path: path) }

    private static func finalizedHead(_ db: RocksDatabase, path: String) throws(StorageError) -> FinalizedHead {
        guard let bytes = try db.get(StoreLayout.head) else { throw StorageError(.corrupted, path: path, "no finalized head record") }
        do { return try FinalizedHead(decoding: bytes) } catch { throw StorageError(.corrupted, path: path, "head: \(error)") }
    }

    /// Finalized blocks from `height` on, each with the QC that certifies it,
    /// at most `limit` (block sync serves these in bounded batches). None
    /// when `height` lies below the retained window: what is kept would not
    /// connect to what the asker has.
    public func finalizedBlocks(from height: Height, limit: Int) throws(StorageError) -> [(block: Block, qc: QuorumCertificate)] {
        guard max(height, 1) >= oldestRetainedHeight else { return [] }
        var ids: [(Height, BlockID)] = []
        try settled.scan(prefix: StoreLayout.heightPrefix, from: StoreLayout.height(height)) { key, value in
            var r = WireReader(Array(key.dropFirst(StoreLayout.heightPrefix.count)))
            if let at = try? r.u64("height"), let id = Bytes32(value) { ids.append((at, id)) }
            return ids.count < limit
        }
        var out: [(Block, QuorumCertificate)] = []
        for (at, id) in ids {
            guard let block = try finalizedBlock(id: id, height: at),
                  let qc = try decoded(StoreLayout.certificate(id), as: QuorumCertificate.self)
            else { break }
            out.append((block, qc))
        }
        return out
    }

    /// A block by id, finalized or not.
    public func block(id: BlockID) throws(StorageError) -> Block? {
        if let block = try finalizedBlock(id: id) { return block }
        return try decoded(StoreLayout.unfinalized(id), as: Block.self)
    }

    /// A finalized block: in the blocks family at its height (`i/`), or
    /// under its id (`b/`: the genesis, a restored head, a schema-1 store's).
    func finalizedBlock(id: BlockID) throws(StorageError) -> Block? {
        if let bytes = try settled.get(StoreLayout.blockHeight(id)) {
            var r = WireReader(bytes)
            guard let height = try? r.u64("i/"), r.remaining == 0 else {
                throw StorageError(.corrupted, path: path, "the height entry of block \(id.short) (i/) is malformed")
            }
            return try finalizedBlock(id: id, height: height)
        }
        return try decoded(StoreLayout.finalized(id), as: Block.self)
    }

    /// The finalized block `id` at `height` (from the height index).
    private func finalizedBlock(id: BlockID, height: Height) throws(StorageError) -> Block? {
        if let bytes = try settled.get(StoreLayout.block(at: height), family: StoreLayout.blocksFamily.name) {
            let block: Block
            do { block = try Block.decode(bytes) } catch { throw StorageError(.corrupted, path: path, "the block at height \(height): \(error)") }
            guard block.id == id else {
                throw StorageError(.corrupted, path: path, "the block at height \(height) is \(block.id.short), its index says \(id.short)")
            }
            return block
        }
        return try decoded(StoreLayout.finalized(id), as: Block.self)
    }

    /// The encoded finalized block at `height` in the blocks family as
    /// `view` saw it, nil when it is not there (kept under its id instead).
    func finalizedBlockBytes(at height: Height, view: RocksDatabase.PointInTime?) throws(StorageError) -> [UInt8]? {
        guard height > 0 else { return nil }
        return try settled.get(StoreLayout.block(at: height), family: StoreLayout.blocksFamily.name, at: view)
    }

    private func decoded<T: WireCodable>(_ key: [UInt8], as type: T.Type) throws(StorageError) -> T? {
        try Self.decoded(settled, key, as: type, path: path)
    }

    private static func decoded<T: WireCodable>(_ db: RocksDatabase, _ key: [UInt8], as type: T.Type,
                                               path: String) throws(StorageError) -> T? {
        guard let bytes = try db.get(key) else { return nil }
        do { return try T.decode(bytes) } catch { throw StorageError(.corrupted, path: path, "\(T.self): \(error)") }
    }

    // MARK: - App state

    /// The key-value namespace of one plugin.
    public func app(_ namespace: String) -> AppNamespace { AppNamespace(store: self, prefix: StoreLayout.app(namespace)) }

    func stage(_ key: [UInt8], _ value: [UInt8]?) { staged.append((key, value)) }

    /// Bytewise order (memcmp, then length), as RocksDB's default comparator.
    static func compare(_ a: [UInt8], _ b: [UInt8]) -> Int32 {
        let common = min(a.count, b.count)
        if common > 0 {
            let c = a.withUnsafeBytes { pa in b.withUnsafeBytes { pb in memcmp(pa.baseAddress!, pb.baseAddress!, common) } }
            if c != 0 { return c }
        }
        return a.count == b.count ? 0 : (a.count < b.count ? -1 : 1)
    }

    /// Flushes memtables (tests and size measurements).
    public func flush() throws(StorageError) { try settled.flush() }
}

/// One plugin's key-value state. Reads see committed state; writes are staged
/// and land only with the commit batch of the block that made them.
public final class AppNamespace: @unchecked Sendable {
    let store: NodeStore
    let prefix: [UInt8]

    init(store: NodeStore, prefix: [UInt8]) {
        self.store = store
        self.prefix = prefix
    }

    public func value(forKey key: [UInt8]) throws(StorageError) -> [UInt8]? { try store.settled.get(prefix + key) }

    /// Keys (without the namespace) starting with `keyPrefix`, in ascending order.
    public func forEach(withPrefix keyPrefix: [UInt8], _ visit: ([UInt8], [UInt8]) -> Bool) throws(StorageError) {
        let cut = prefix.count
        try store.settled.scan(prefix: prefix + keyPrefix) { key, value in visit(Array(key[cut...]), value) }
    }

    /// Stages one commit's writes (nil deletes); a later write to a key wins.
    public func stage(_ changes: some Sequence<([UInt8], [UInt8]?)>) {
        for (key, value) in changes { store.stage(prefix + key, value) }
    }
}
