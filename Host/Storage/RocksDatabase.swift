import CRocksDB

#if canImport(Glibc)
import Glibc
#endif

/// A thin, typed wrapper of RocksDB's C API (public: the proof-of-work chain
/// node in Plugins/Checkpointing stores its chain with it too): open, get, atomic batches,
/// ordered prefix scans. RocksDB is safe to use from several threads.
///
/// Options, chosen for a consensus node's workload (small hot keys written
/// synchronously, blocks written once and read by height):
/// - block cache: 64 MiB LRU, shared by all reads;
/// - compression: LZ4 (fast; block payloads compress well);
/// - WAL: always on; a write with `sync: true` fsyncs it, and with it every
///   earlier write (the WAL is ordered), which is what "persist before
///   speech" needs; damage to it other than a torn last record stops the open;
/// - RocksDB's info log: 4 files of at most 4 MiB;
/// - 2 background jobs (the machine class has 2 cores);
/// - column families besides the default one, each with its own memtable
///   and table file size (`ColumnFamily`): the node keeps finalized blocks
///   in one of their own, keyed by height, so they are written in key order
///   and dropped whole files at a time (`deleteFiles`).
public final class RocksDatabase: @unchecked Sendable {
    /// A column family other than the default one, and the sizes its data is
    /// written in.
    public struct ColumnFamily: Hashable, Sendable {
        public let name: String
        /// Its memtable's size, and so of the table files its flushes write.
        public let memtableBytes: Int
        /// The size of the table files its compactions write.
        public let tableFileBytes: Int

        public init(name: String, memtableBytes: Int, tableFileBytes: Int) {
            precondition(name != "default", "the default column family is always open")
            self.name = name
            self.memtableBytes = memtableBytes
            self.tableFileBytes = tableFileBytes
        }
    }

    public let path: String
    /// nil once `close()` ran. Read only under `handleLock` (shared), set
    /// nil only under it (exclusive).
    private var handle: OpaquePointer?
    /// The open column families' handles by name (empty once `close()` ran),
    /// under `handleLock` like `handle`: RocksDB requires them freed before
    /// the database closes.
    private var families: [String: OpaquePointer] = [:]
    private var familyOptions: [OpaquePointer] = []
    /// Every call holds this shared for as long as it is inside RocksDB;
    /// `close()` takes it exclusively. So a close never frees the database
    /// under a call in flight on another thread (the background WAL sync, the
    /// commit writer, a plugin's read): that call finishes first, and every
    /// later one throws "closed". A CI run crashed in `rocksdb_flush_wal` on
    /// a database closed under it.
    private let handleLock = ReadWriteLock()
    private let options: OpaquePointer
    private let tableOptions: OpaquePointer
    private let cache: OpaquePointer
    private let readOptions: OpaquePointer
    private let syncWrite: OpaquePointer
    private let lazyWrite: OpaquePointer

    static let blockCacheBytes = 64 * 1024 * 1024
    /// RocksDB's `WALRecoveryMode::kTolerateCorruptedTailRecords`.
    static let walRecoveryTolerateTornTail = 0
    public static let infoLogFileBytesMax = 4 * 1024 * 1024
    public static let infoLogFilesKept = 4
    public static let openFilesMax = 512
    /// One memtable's size, and the WAL's total before RocksDB flushes the oldest memtable.
    static let memtableBytes = 16 << 20
    static let walBytesMax: UInt64 = 64 << 20

    /// - Parameter readOnly: open without writing anything (no WAL replay
    ///   written back, no new files): to check a store before trusting it.
    ///   Only those of `columnFamilies` the database has are opened then
    ///   (RocksDB creates none read-only, and reads a subset).
    /// - Parameter columnFamilies: opened, and created when missing (a
    ///   database written by an older binary gains them empty).
    public init(path: String, createIfMissing: Bool, readOnly: Bool = false,
                columnFamilies: [ColumnFamily] = []) throws(StorageError) {
        self.path = path
        options = rocksdb_options_create()
        rocksdb_options_set_create_if_missing(options, createIfMissing ? 1 : 0)
        rocksdb_options_set_compression(options, Int32(rocksdb_lz4_compression))
        rocksdb_options_set_max_background_jobs(options, 2)
        rocksdb_options_set_paranoid_checks(options, 1)
        // WAL recovery: a record torn at the very end (a crash in the middle
        // of a write, which was never acknowledged) is dropped; damage
        // anywhere else is a Corruption error and the store does not open.
        // A WAL cut at a record boundary or emptied looks whole to RocksDB:
        // the node's safety record (SafetyRecordFile) catches that.
        rocksdb_options_set_wal_recovery_mode(options, Int32(Self.walRecoveryTolerateTornTail))
        // RocksDB's own log: at most `infoLogFilesKept` files of
        // `infoLogFileBytesMax` (LOG.old.* grew without bound before).
        rocksdb_options_set_max_log_file_size(options, Self.infoLogFileBytesMax)
        rocksdb_options_set_keep_log_file_num(options, Self.infoLogFilesKept)
        // Table files held open: bounded, so the node's descriptor budget
        // (the API's connection cap) can count on it.
        rocksdb_options_set_max_open_files(options, Int32(Self.openFilesMax))
        // Memtables and WAL: the WAL lives until its memtable is flushed, so
        // RocksDB's 64 MiB default swung a pruned store's size by ±17 % around
        // its ~210 MiB; 16 MiB memtables and at most 64 MiB of WAL keep the
        // swing inside ±10 % (docs/storage.md, measured).
        rocksdb_options_set_write_buffer_size(options, Self.memtableBytes)
        rocksdb_options_set_max_total_wal_size(options, Self.walBytesMax)
        tableOptions = rocksdb_block_based_options_create()
        cache = rocksdb_cache_create_lru(Self.blockCacheBytes)
        rocksdb_block_based_options_set_block_cache(tableOptions, cache)
        rocksdb_options_set_block_based_table_factory(options, tableOptions)
        readOptions = rocksdb_readoptions_create()
        syncWrite = rocksdb_writeoptions_create()
        rocksdb_writeoptions_set_sync(syncWrite, 1)
        lazyWrite = rocksdb_writeoptions_create()
        var error: UnsafeMutablePointer<CChar>?
        var names = ["default"]
        var perFamily: [OpaquePointer] = [options]
        let existing = readOnly ? Self.existingFamilies(path: path, options: options) : nil
        for family in columnFamilies where existing?.contains(family.name) ?? true {
            let familyOptions = rocksdb_options_create_copy(options)!
            rocksdb_options_set_write_buffer_size(familyOptions, family.memtableBytes)
            rocksdb_options_set_target_file_size_base(familyOptions, UInt64(family.tableFileBytes))
            self.familyOptions.append(familyOptions)
            names.append(family.name)
            perFamily.append(familyOptions)
        }
        if !readOnly, !columnFamilies.isEmpty { rocksdb_options_set_create_missing_column_families(options, 1) }
        var handles = [OpaquePointer?](repeating: nil, count: names.count)
        let handle: OpaquePointer? = Self.withCStrings(names) { cNames in
            perFamily.map { Optional($0) }.withUnsafeBufferPointer { cOptions in
                handles.withUnsafeMutableBufferPointer { cHandles in
                    readOnly
                        ? rocksdb_open_for_read_only_column_families(options, path, Int32(names.count), cNames, cOptions.baseAddress,
                                                                     cHandles.baseAddress, 0, &error)
                        : rocksdb_open_column_families(options, path, Int32(names.count), cNames, cOptions.baseAddress,
                                                       cHandles.baseAddress, &error)
                }
            }
        }
        guard let handle, error == nil else {
            let message = Self.take(error) ?? "rocksdb_open failed"
            // Every stored property is initialized by now, so throwing runs
            // deinit, which frees the options: freeing them here too was a
            // double free.
            throw Self.classify(message, path: path)
        }
        self.handle = handle
        // The default family's handle is not needed (the plain calls use it);
        // it is freed now, before any close.
        if let first = handles[0] { rocksdb_column_family_handle_destroy(first) }
        for (name, familyHandle) in zip(names.dropFirst(), handles.dropFirst()) {
            if let familyHandle { families[name] = familyHandle }
        }
    }

    /// The column families a database on disk has (nil when it cannot be
    /// listed, e.g. none exists: the open reports why).
    private static func existingFamilies(path: String, options: OpaquePointer) -> Set<String>? {
        var count = 0
        var error: UnsafeMutablePointer<CChar>?
        guard let list = rocksdb_list_column_families(options, path, &count, &error) else {
            _ = take(error)
            return nil
        }
        defer { rocksdb_list_column_families_destroy(list, count) }
        return Set((0..<count).compactMap { list[$0].map { String(cString: $0) } })
    }

    private static func withCStrings<T>(_ strings: [String], _ body: (UnsafePointer<UnsafePointer<CChar>?>) -> T) -> T {
        let copies = strings.map { strdup($0) }
        defer { copies.forEach { free($0) } }
        return copies.map { UnsafePointer($0) }.withUnsafeBufferPointer { body($0.baseAddress!) }
    }

    /// Closes the database now (its background threads stop), instead of when
    /// the last reference goes: a process that exits while RocksDB's threads
    /// still run aborts in the C++ runtime ("terminate called without an
    /// active exception"). Call it only when no other call can be in flight;
    /// later calls throw.
    public func close() {
        handleLock.exclusively {
            families.values.forEach { rocksdb_column_family_handle_destroy($0) }
            families = [:]
            if let handle { rocksdb_close(handle) }
            handle = nil
        }
    }

    /// Runs `body` with the open database, holding `handleLock` shared.
    private func withDB<T>(_ body: (OpaquePointer) throws(StorageError) -> T) throws(StorageError) -> T {
        try handleLock.shared { () throws(StorageError) -> T in
            guard let handle else { throw StorageError(.io, path: path, "the store is closed (the node is shutting down)") }
            return try body(handle)
        }
    }

    deinit {
        families.values.forEach { rocksdb_column_family_handle_destroy($0) }
        if let handle { rocksdb_close(handle) }
        familyOptions.forEach { rocksdb_options_destroy($0) }
        Self.destroy(options, tableOptions, cache, readOptions, syncWrite, lazyWrite)
    }

    /// Runs `body` with the open database and the named family's handle.
    private func withFamily<T>(_ name: String, _ body: (OpaquePointer, OpaquePointer) throws(StorageError) -> T) throws(StorageError) -> T {
        try withDB { db throws(StorageError) in
            guard let family = families[name] else {
                throw StorageError(.io, path: path, "the store has no column family \(name) (opened without it)")
            }
            return try body(db, family)
        }
    }

    /// The value of `key` in the column family `family`, as `view` saw it
    /// (now when nil).
    public func get(_ key: [UInt8], family: String, at view: PointInTime? = nil) throws(StorageError) -> [UInt8]? {
        var length = 0
        var error: UnsafeMutablePointer<CChar>?
        let value = try withFamily(family) { db, handle in
            key.withUnsafeBufferPointer { k in
                k.withMemoryRebound(to: CChar.self) {
                    rocksdb_get_cf(db, view?.readOptions ?? readOptions, handle, $0.baseAddress, $0.count, &length, &error)
                }
            }
        }
        if let message = Self.take(error) { throw Self.classify(message, path: path) }
        guard let value else { return nil }
        defer { rocksdb_free(value) }
        return Array(UnsafeRawBufferPointer(start: value, count: length))
    }

    /// Deletes the table files of `family` whose keys all lie in
    /// [`start`, `end`] (both included): no tombstone is written and nothing is rewritten, so
    /// the disk shrinks at once. Keys in files that also hold keys outside
    /// the range, and in level-0 files, stay. RocksDB snapshots do not keep
    /// the deleted files' keys: call it only on keys no reader needs.
    public func deleteFiles(family: String, from start: [UInt8], through end: [UInt8]) throws(StorageError) {
        var error: UnsafeMutablePointer<CChar>?
        try withFamily(family) { db, handle in
            start.withUnsafeBufferPointer { s in
                end.withUnsafeBufferPointer { e in
                    s.withMemoryRebound(to: CChar.self) { sc in
                        e.withMemoryRebound(to: CChar.self) { ec in
                            rocksdb_delete_file_in_range_cf(db, handle, sc.baseAddress, sc.count, ec.baseAddress, ec.count, &error)
                        }
                    }
                }
            }
        }
        if let message = Self.take(error) { throw Self.classify(message, path: path) }
    }

    private static func destroy(_ options: OpaquePointer, _ tableOptions: OpaquePointer, _ cache: OpaquePointer,
                                _ readOptions: OpaquePointer, _ syncWrite: OpaquePointer, _ lazyWrite: OpaquePointer) {
        rocksdb_writeoptions_destroy(lazyWrite)
        rocksdb_writeoptions_destroy(syncWrite)
        rocksdb_readoptions_destroy(readOptions)
        rocksdb_block_based_options_destroy(tableOptions)
        rocksdb_cache_destroy(cache)
        rocksdb_options_destroy(options)
    }

    public func get(_ key: [UInt8]) throws(StorageError) -> [UInt8]? {
        var length = 0
        var error: UnsafeMutablePointer<CChar>?
        let value = try withDB { db in
            key.withUnsafeBufferPointer { k in
                k.withMemoryRebound(to: CChar.self) { rocksdb_get(db, readOptions, $0.baseAddress, $0.count, &length, &error) }
            }
        }
        if let message = Self.take(error) { throw Self.classify(message, path: path) }
        guard let value else { return nil }
        defer { rocksdb_free(value) }
        return Array(UnsafeRawBufferPointer(start: value, count: length))
    }

    /// Applies `batch` atomically; `sync` waits for the WAL to reach the disk.
    public func write(_ batch: WriteBatch, sync: Bool) throws(StorageError) {
        var error: UnsafeMutablePointer<CChar>?
        try withDB { db throws(StorageError) in
            try batch.resolveFamilies { name throws(StorageError) in
                guard let family = families[name] else {
                    throw StorageError(.io, path: path, "the store has no column family \(name) (opened without it)")
                }
                return family
            }
            rocksdb_write(db, sync ? syncWrite : lazyWrite, batch.handle, &error)
        }
        if let message = Self.take(error) { throw Self.classify(message, path: path) }
    }

    /// Makes every write so far durable (fsyncs the WAL). Safe while other
    /// threads write: RocksDB orders it with them.
    public func syncWAL() throws(StorageError) {
        var error: UnsafeMutablePointer<CChar>?
        try withDB { db in rocksdb_flush_wal(db, 1, &error) }
        if let message = Self.take(error) { throw Self.classify(message, path: path) }
    }

    /// Key-value pairs whose key starts with `prefix`, from `start` (inclusive,
    /// default the prefix itself), in order, until `visit` returns false.
    /// The scan holds the database open until it ends (`visit` may read it).
    public func scan(prefix: [UInt8], from start: [UInt8]? = nil, _ visit: ([UInt8], [UInt8]) -> Bool) throws(StorageError) {
        try withDB { db throws(StorageError) in try scan(db, prefix: prefix, from: start, visit) }
    }

    /// Several prefixes scanned through one iterator, so every pair comes
    /// from one consistent view of the database, whatever is written
    /// meanwhile (a snapshot's key space and its head). `next` names the
    /// next prefix once the one before is done (it may depend on what was
    /// read), nil to end; `visit` returning false ends the scan.
    public func scanConsistently(at view: PointInTime? = nil, next: () -> [UInt8]?,
                                 _ visit: ([UInt8], [UInt8]) -> Bool) throws(StorageError) {
        try withDB { db throws(StorageError) in
            let iterator = rocksdb_create_iterator(db, view?.readOptions ?? readOptions)!
            defer { rocksdb_iter_destroy(iterator) }
            scanning: while let prefix = next() {
                prefix.withUnsafeBufferPointer { s in
                    s.withMemoryRebound(to: CChar.self) { rocksdb_iter_seek(iterator, $0.baseAddress, $0.count) }
                }
                while rocksdb_iter_valid(iterator) != 0 {
                    var keyLength = 0, valueLength = 0
                    let key = Array(UnsafeRawBufferPointer(start: rocksdb_iter_key(iterator, &keyLength)!, count: keyLength))
                    guard key.starts(with: prefix) else { break }
                    let valuePointer = rocksdb_iter_value(iterator, &valueLength)
                    let value = valueLength == 0 ? [] : Array(UnsafeRawBufferPointer(start: valuePointer!, count: valueLength))
                    if !visit(key, value) { break scanning }
                    rocksdb_iter_next(iterator)
                }
            }
            var error: UnsafeMutablePointer<CChar>?
            rocksdb_iter_get_error(iterator, &error)
            if let message = Self.take(error) { throw Self.classify(message, path: path) }
        }
    }

    /// The database as it is now, for reads later (a RocksDB snapshot): a
    /// snapshot of a height is taken the moment that height's batch lands,
    /// and read at leisure while later commits go on. Each must be released
    /// (`release`) before the database closes; until then RocksDB keeps the
    /// versions it sees (disk grows while one is held).
    public final class PointInTime: @unchecked Sendable {
        fileprivate let snapshot: OpaquePointer
        fileprivate let readOptions: OpaquePointer
        fileprivate init(snapshot: OpaquePointer, readOptions: OpaquePointer) {
            self.snapshot = snapshot
            self.readOptions = readOptions
        }
    }

    public func pointInTime() throws(StorageError) -> PointInTime {
        try withDB { db in
            let snapshot = rocksdb_create_snapshot(db)!
            let options = rocksdb_readoptions_create()!
            rocksdb_readoptions_set_snapshot(options, snapshot)
            return PointInTime(snapshot: snapshot, readOptions: options)
        }
    }

    public func release(_ view: PointInTime) {
        try? withDB { db in rocksdb_release_snapshot(db, view.snapshot) }
        rocksdb_readoptions_destroy(view.readOptions)
    }

    private func scan(_ db: OpaquePointer, prefix: [UInt8], from start: [UInt8]?,
                      _ visit: ([UInt8], [UInt8]) -> Bool) throws(StorageError) {
        let iterator = rocksdb_create_iterator(db, readOptions)!
        defer { rocksdb_iter_destroy(iterator) }
        let seek = start ?? prefix
        seek.withUnsafeBufferPointer { s in
            s.withMemoryRebound(to: CChar.self) { rocksdb_iter_seek(iterator, $0.baseAddress, $0.count) }
        }
        while rocksdb_iter_valid(iterator) != 0 {
            var keyLength = 0, valueLength = 0
            let keyPointer = rocksdb_iter_key(iterator, &keyLength)!
            let key = Array(UnsafeRawBufferPointer(start: keyPointer, count: keyLength))
            guard key.starts(with: prefix) else { break }
            let valuePointer = rocksdb_iter_value(iterator, &valueLength)
            let value = valueLength == 0 ? [] : Array(UnsafeRawBufferPointer(start: valuePointer!, count: valueLength))
            if !visit(key, value) { break }
            rocksdb_iter_next(iterator)
        }
        var error: UnsafeMutablePointer<CChar>?
        rocksdb_iter_get_error(iterator, &error)
        if let message = Self.take(error) { throw Self.classify(message, path: path) }
    }

    /// The bytes of `family`'s table files (RocksDB's `total-sst-files-size`).
    public func tableFileBytes(family: String) throws(StorageError) -> UInt64 {
        let text: String? = try withFamily(family) { db, handle in
            guard let value = rocksdb_property_value_cf(db, handle, "rocksdb.total-sst-files-size") else { return nil }
            defer { rocksdb_free(value) }
            return String(cString: value)
        }
        guard let text, let bytes = UInt64(text) else { throw StorageError(.io, path: path, "RocksDB did not report the size of \(family)") }
        return bytes
    }

    /// Flushes `family`'s memtable and compacts all of it, waiting for both
    /// (tests: it puts every file below level 0, where `deleteFiles` reaches).
    func compact(family: String) throws(StorageError) {
        let flushOptions = rocksdb_flushoptions_create()!
        defer { rocksdb_flushoptions_destroy(flushOptions) }
        rocksdb_flushoptions_set_wait(flushOptions, 1)
        var error: UnsafeMutablePointer<CChar>?
        try withFamily(family) { db, handle in
            rocksdb_flush_cf(db, flushOptions, handle, &error)
            if error == nil { rocksdb_compact_range_cf(db, handle, nil, 0, nil, 0) }
        }
        if let message = Self.take(error) { throw Self.classify(message, path: path) }
    }

    /// Flushes every column family's memtable to SST files (for size measurements and tests).
    func flush() throws(StorageError) {
        let flushOptions = rocksdb_flushoptions_create()!
        defer { rocksdb_flushoptions_destroy(flushOptions) }
        rocksdb_flushoptions_set_wait(flushOptions, 1)
        var error: UnsafeMutablePointer<CChar>?
        try withDB { db in
            rocksdb_flush(db, flushOptions, &error)
            for family in families.values where error == nil { rocksdb_flush_cf(db, flushOptions, family, &error) }
        }
        if let message = Self.take(error) { throw Self.classify(message, path: path) }
    }

    private static func take(_ error: UnsafeMutablePointer<CChar>?) -> String? {
        guard let error else { return nil }
        defer { rocksdb_free(error) }
        return String(cString: error)
    }

    /// RocksDB reports errors as text; its status prefixes are stable.
    static func classify(_ message: String, path: String) -> StorageError {
        if message.contains("lock") && (message.contains("Resource temporarily unavailable") || message.contains("No locks available") || message.contains("lock hold by current process")) {
            return StorageError(.locked, path: path, message)
        }
        if message.hasPrefix("Corruption") || message.contains("Corruption:") { return StorageError(.corrupted, path: path, message) }
        if message.contains("does not exist (create_if_missing is false)") {
            return StorageError(.notInitialized, path: path, message)
        }
        return StorageError(.io, path: path, message)
    }
}

/// An atomic group of writes, to the default column family or others.
public final class WriteBatch {
    let handle: OpaquePointer
    /// Writes to other column families, added to the batch when it is
    /// written (the families' handles belong to the database, which may
    /// close meanwhile).
    private var familyWrites: [(family: String, key: [UInt8], value: [UInt8]?)] = []

    public init() { handle = rocksdb_writebatch_create() }
    deinit { rocksdb_writebatch_destroy(handle) }

    public func put(_ key: [UInt8], _ value: [UInt8]) {
        key.withUnsafeBufferPointer { k in
            value.withUnsafeBufferPointer { v in
                k.withMemoryRebound(to: CChar.self) { kc in
                    v.withMemoryRebound(to: CChar.self) { vc in
                        rocksdb_writebatch_put(handle, kc.baseAddress, kc.count, vc.baseAddress, vc.count)
                    }
                }
            }
        }
    }

    public func delete(_ key: [UInt8]) {
        key.withUnsafeBufferPointer { k in
            k.withMemoryRebound(to: CChar.self) { rocksdb_writebatch_delete(handle, $0.baseAddress, $0.count) }
        }
    }

    /// Puts `key` in the column family named `family`.
    public func put(_ key: [UInt8], _ value: [UInt8], family: String) { familyWrites.append((family, key, value)) }

    /// Deletes `key` from the column family named `family`.
    public func delete(_ key: [UInt8], family: String) { familyWrites.append((family, key, nil)) }

    var count: Int { Int(rocksdb_writebatch_count(handle)) + familyWrites.count }

    /// Adds the family writes to the batch, with the handles `handle(name)` gives.
    fileprivate func resolveFamilies(_ handle: (String) throws(StorageError) -> OpaquePointer) throws(StorageError) {
        for write in familyWrites {
            let family = try handle(write.family)
            write.key.withUnsafeBufferPointer { k in
                k.withMemoryRebound(to: CChar.self) { kc in
                    if let value = write.value {
                        value.withUnsafeBufferPointer { v in
                            v.withMemoryRebound(to: CChar.self) { vc in
                                rocksdb_writebatch_put_cf(self.handle, family, kc.baseAddress, kc.count, vc.baseAddress, vc.count)
                            }
                        }
                    } else {
                        rocksdb_writebatch_delete_cf(self.handle, family, kc.baseAddress, kc.count)
                    }
                }
            }
        }
        familyWrites.removeAll()
    }
}
