import BatonCrypto
import Checkpointing
import Storage

/// The chain on disk (RocksDB): every accepted block under "b/<hash>", every
/// certificate received from the interpreter under "c/<height>". Reopening
/// replays them through `ChainState`, so a restarted node checks its own
/// disk as strictly as a peer's blocks.
public final class ChainStore: Sendable {
    private let db: RocksDatabase

    public init(directory: String) throws(StorageError) {
        db = try RocksDatabase(path: directory, createIfMissing: true)
    }

    /// Closes RocksDB before the process exits (see `RocksDatabase.close`).
    public func close() { db.close() }

    public func save(_ block: ChainBlock) throws(StorageError) {
        let batch = WriteBatch()
        batch.put(Array("b/".utf8) + block.hash.bytes, block.encoded)
        try db.write(batch, sync: false)
    }

    public func save(certificate: [UInt8], for checkpoint: Checkpoint) throws(StorageError) {
        let batch = WriteBatch()
        var key = Array("c/".utf8)
        withUnsafeBytes(of: checkpoint.height.bigEndian) { key.append(contentsOf: $0) }
        batch.put(key, certificate)
        try db.write(batch, sync: true)
    }

    /// Every stored block, parents before children, and every stored certificate.
    public func load() throws(StorageError) -> (blocks: [ChainBlock], certificates: [[UInt8]]) {
        var blocks: [ChainBlock] = []
        try db.scan(prefix: Array("b/".utf8)) { _, value in
            if let block = try? ChainBlock.decode(value) { blocks.append(block) }
            return true
        }
        var certificates: [[UInt8]] = []
        try db.scan(prefix: Array("c/".utf8)) { _, value in
            certificates.append(value)
            return true
        }
        return (blocks.sorted { $0.height < $1.height }, certificates)
    }
}
