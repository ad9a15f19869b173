import BatonCrypto

/// State sync (issue 31, docs/storage.md "State sync"): a node with an empty
/// store asks peers for their newest snapshot and fetches its chunks in
/// pieces. The core never sees these: the node's shell serves and asks.
///
/// The manifest and its proof travel as bytes: they are the storage layer's
/// and the node's formats, checked there (the core knows neither).
///
/// Bounds: a piece is at most `pieceBytesMax` (a message is at most 8 MiB),
/// a manifest at most `manifestBytesMax`, a proof at most `proofBytesMax`.
public enum StateSyncMessage: Hashable, Sendable, WireCodable {
    /// "Offer me your newest snapshot" (`height` 0), or the one of `height`
    /// (a sync resuming after a crash finishes the snapshot it began).
    case offerRequest(requestID: UInt64, height: Height)
    /// The newest snapshot this node can prove, or none (empty manifest).
    /// `oldestBlock`: the lowest height whose block the sender still serves.
    case offer(requestID: UInt64, oldestBlock: Height, manifest: [UInt8], proof: [UInt8])
    /// Bytes `offset ..< offset + length` of chunk `chunk` of the snapshot at `height`.
    case pieceRequest(requestID: UInt64, height: Height, chunk: UInt32, offset: UInt64, length: UInt32)
    /// The bytes asked for, or none (empty: the sender no longer has that snapshot).
    case piece(requestID: UInt64, height: Height, chunk: UInt32, offset: UInt64, bytes: [UInt8])

    public static let pieceBytesMax = 4 << 20
    public static let manifestBytesMax = 1 << 20
    public static let proofBytesMax = 4 << 20

    public var requestID: UInt64 {
        switch self {
        case .offerRequest(let id, _), .offer(let id, _, _, _), .pieceRequest(let id, _, _, _, _), .piece(let id, _, _, _, _): id
        }
    }

    public func encode(to w: inout WireWriter) {
        switch self {
        case .offerRequest(let id, let height):
            w.u8(1); w.u64(id); w.u64(height)
        case .offer(let id, let oldest, let manifest, let proof):
            w.u8(2); w.u64(id); w.u64(oldest); w.blob(manifest); w.blob(proof)
        case .pieceRequest(let id, let height, let chunk, let offset, let length):
            w.u8(3); w.u64(id); w.u64(height); w.u32(chunk); w.u64(offset); w.u32(length)
        case .piece(let id, let height, let chunk, let offset, let bytes):
            w.u8(4); w.u64(id); w.u64(height); w.u32(chunk); w.u64(offset); w.blob(bytes)
        }
    }

    public init(from r: inout WireReader) throws(WireDecodingError) {
        switch try r.u8("stateSync.kind") {
        case 1:
            self = .offerRequest(requestID: try r.u64("stateSync.id"), height: try r.u64("stateSync.height"))
        case 2:
            self = .offer(requestID: try r.u64("stateSync.id"), oldestBlock: try r.u64("stateSync.oldestBlock"),
                          manifest: try r.blob("stateSync.manifest", max: Self.manifestBytesMax),
                          proof: try r.blob("stateSync.proof", max: Self.proofBytesMax))
        case 3:
            let id = try r.u64("stateSync.id"), height = try r.u64("stateSync.height")
            let chunk = try r.u32("stateSync.chunk"), offset = try r.u64("stateSync.offset")
            let length = try r.u32("stateSync.length")
            guard length <= Self.pieceBytesMax else {
                throw WireDecodingError(.tooLarge, field: "stateSync.length", detail: "\(length) > \(Self.pieceBytesMax)")
            }
            self = .pieceRequest(requestID: id, height: height, chunk: chunk, offset: offset, length: length)
        case 4:
            self = .piece(requestID: try r.u64("stateSync.id"), height: try r.u64("stateSync.height"),
                          chunk: try r.u32("stateSync.chunk"), offset: try r.u64("stateSync.offset"),
                          bytes: try r.blob("stateSync.bytes", max: Self.pieceBytesMax))
        case let other:
            throw WireDecodingError(.invalidValue, field: "stateSync.kind", detail: "\(other)")
        }
    }
}
