import BatonCrypto
import Consensus

#if canImport(Glibc)
import Glibc
#endif

/// `safety` in a data directory: the node's safety data, checksummed and
/// versioned, outside RocksDB, with the finalized height known durable in
/// RocksDB. It is the safety data's durable copy: a vote or timeout leaves
/// once this record's write is fdatasync'ed (one fsync per vote); RocksDB
/// holds a lazy copy (`NodeStore.saveSafetyData`).
///
/// Why outside RocksDB: RocksDB recovers a WAL that was truncated, emptied or
/// damaged past its last good record by dropping what follows, and a node
/// that forgot its last vote may vote twice in that view. At open the later
/// of the record and RocksDB's copy is the safety data, and RocksDB must hold
/// every block the record says was durable: a store behind that has lost
/// synced writes, and the node stops (see `StorageError.Kind.lostSyncedWrites`).
///
/// Two slots, written in turn, each with a sequence number and a SHA-256: a
/// write torn by a power loss damages only the slot being written, and the
/// other still holds the previous record (the torn write's vote never left).
final class SafetyRecordFile {
    static let fileName = "safety"
    static let slotBytes = 65_536
    static let magic = Array("baton-sr".utf8)
    static let version: UInt32 = 1
    /// magic, version, sequence, length; then the payload; then its SHA-256.
    static let headerBytes = 8 + 4 + 8 + 4

    /// What the record says was durable.
    struct Record: Equatable {
        var safety: SafetyData
        /// The finalized height RocksDB had synced when the record was written.
        var finalizedHeight: Height
    }

    let path: String
    private let fd: Int32
    private var sequence: UInt64

    /// Opens (creating when `create`) the record file. Returns the newest
    /// valid record too; nil when the file is new or was missing.
    static func open(directory: String, create: Bool) throws(StorageError) -> (SafetyRecordFile, Record?) {
        let path = directory + "/" + fileName
        let existed = access(path, F_OK) == 0
        guard existed || create else {
            throw StorageError(.missingSafetyRecord, path: path, "")
        }
        let fd = Glibc.open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw DurableFile.failure(path, "open") }
        if !existed { DurableFile.syncFolder(of: path) }
        var newest: (sequence: UInt64, record: Record)?
        var damaged = 0
        for slot in 0..<2 {
            switch readSlot(fd, slot) {
            case .empty: break
            case .damaged: damaged += 1
            case .valid(let sequence, let record):
                if sequence >= (newest?.sequence ?? 0) { newest = (sequence, record) }
            }
        }
        if newest == nil, damaged > 0 {
            close(fd)
            throw StorageError(.corrupted, path: path, "both slots of the safety record fail their checksum")
        }
        return (SafetyRecordFile(path: path, fd: fd, sequence: newest?.sequence ?? 0), newest?.record)
    }

    private init(path: String, fd: Int32, sequence: UInt64) {
        self.path = path
        self.fd = fd
        self.sequence = sequence
    }

    deinit { close(fd) }

    func write(_ record: Record, sync: Bool) throws(StorageError) {
        var payload = WireWriter(capacity: 256)
        payload.u64(record.finalizedHeight)
        record.safety.encode(to: &payload)
        guard Self.headerBytes + payload.bytes.count + 32 <= Self.slotBytes else {
            throw StorageError(.io, path: path, "safety data of \(payload.bytes.count) bytes exceeds the record's slot")
        }
        sequence += 1
        var w = WireWriter(capacity: Self.headerBytes + payload.bytes.count + 32)
        w.raw(Self.magic)
        w.u32(Self.version)
        w.u64(sequence)
        w.u32(UInt32(payload.bytes.count))
        w.raw(payload.bytes)
        w.raw(SHA256Digest.hash(w.bytes).bytes)
        let bytes = w.bytes
        let offset = off_t(Int(sequence % 2) * Self.slotBytes)
        let written = bytes.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, offset) }
        guard written == bytes.count else { throw DurableFile.failure(path, "write") }
        if sync, fdatasync(fd) != 0 { throw DurableFile.failure(path, "fdatasync") }
    }

    private enum Slot {
        case empty
        case damaged
        case valid(UInt64, Record)
    }

    private static func readSlot(_ fd: Int32, _ slot: Int) -> Slot {
        var header = [UInt8](repeating: 0, count: headerBytes)
        let offset = off_t(slot * slotBytes)
        let n = pread(fd, &header, headerBytes, offset)
        if n <= 0 || header.allSatisfy({ $0 == 0 }) { return .empty }
        guard n == headerBytes, Array(header[0..<8]) == magic else { return .damaged }
        var r = WireReader(Array(header[8...]))
        guard let version = try? r.u32("version"), version == Self.version,
              let sequence = try? r.u64("sequence"), let length = try? r.u32("length"),
              headerBytes + Int(length) + 32 <= slotBytes else { return .damaged }
        var rest = [UInt8](repeating: 0, count: Int(length) + 32)
        guard pread(fd, &rest, rest.count, offset + off_t(headerBytes)) == rest.count else { return .damaged }
        let payload = Array(rest[0..<Int(length)])
        guard SHA256Digest.hash(header + payload).bytes == Array(rest[Int(length)...]) else { return .damaged }
        var p = WireReader(payload)
        guard let height = try? p.u64("finalizedHeight"), let safety = try? SafetyData(from: &p) else { return .damaged }
        return .valid(sequence, Record(safety: safety, finalizedHeight: height))
    }
}
