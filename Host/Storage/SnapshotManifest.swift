import BatonCrypto
import Consensus

/// What a snapshot of a node's state at a finalized height holds, and how
/// to check it (issue 31, item 2): the height, block and app state hash it
/// belongs to, and the SHA-256 of each chunk. A peer is offered the manifest;
/// a chunk is trusted only if its hash is the manifest's.
///
/// The chunks hold the store's keys a node needs to resume from height H
/// without the blocks below it, as every honest node holds them alike: the
/// application's key space (`a/`), the app state hashes (`e/`) and leader
/// records (`r/`) windows, the head, its block and height index, and the
/// governance schedules (`m/`, but not the store's identity, its pruning
/// floor or the epoch records). Members that snapshot one height write one
/// manifest. Each chunk is a sequence of records: u32 key length, key, u32
/// value length, value.
public struct SnapshotManifest: Hashable, Sendable {
    /// Version 2: the chunks hold what every honest node holds alike; the
    /// head's certificate and the epoch records are the folder's anchor.
    public static let version: UInt8 = 2
    /// A chunk is at most this large unless one record alone is larger.
    public static let chunkBytesDefault = 4 << 20

    public let genesis: BlockID
    public let head: FinalizedHead
    public let chunkHashes: [Bytes32]
    public let chunkSizes: [UInt64]
    /// Key-value records in all chunks.
    public let records: UInt64

    public var totalBytes: UInt64 { chunkSizes.reduce(0, +) }

    public var encoded: [UInt8] {
        var w = WireWriter(capacity: 128 + chunkHashes.count * 40)
        w.u8(Self.version)
        w.bytes32(genesis)
        w.raw(head.encoded)
        w.u64(records)
        w.u16(UInt16(chunkHashes.count))
        for (hash, size) in zip(chunkHashes, chunkSizes) {
            w.bytes32(hash)
            w.u64(size)
        }
        return w.bytes
    }

    /// At most this many chunks (64 GiB of state at the default size).
    static let chunksMax = 16_384
    /// A chunk is at most this large: a 4 MiB chunk, or one record alone up
    /// to the plugin host's 16 MiB value bound. A manifest naming a larger
    /// one is refused, so no chunk from anywhere is read past it.
    static let chunkBytesMax: UInt64 = 32 << 20

    public static func decode(_ bytes: [UInt8]) throws(WireDecodingError) -> SnapshotManifest {
        var r = WireReader(bytes)
        let version = try r.u8("manifest.version")
        guard version == Self.version else {
            throw WireDecodingError(.unknownVersion, field: "manifest.version", detail: "\(version), this build reads \(Self.version)")
        }
        let genesis = try r.bytes32("manifest.genesis")
        let head = try FinalizedHead(decoding: try r.raw(72, "manifest.head"))
        let records = try r.u64("manifest.records")
        let count = try r.count("manifest.chunks", max: chunksMax, minElementBytes: 40)
        var hashes: [Bytes32] = [], sizes: [UInt64] = []
        for _ in 0..<count {
            hashes.append(try r.bytes32("manifest.chunk.hash"))
            let size = try r.u64("manifest.chunk.size")
            guard size <= chunkBytesMax else {
                throw WireDecodingError(.tooLarge, field: "manifest.chunk.size", detail: "\(size) > \(chunkBytesMax)")
            }
            sizes.append(size)
        }
        try r.expectEnd("manifest")
        return SnapshotManifest(genesis: genesis, head: head, chunkHashes: hashes, chunkSizes: sizes, records: records)
    }
}
