import BatonCrypto

/// Block sync: ask for blocks by id (a missing ancestor and up to `ancestors`
/// of its own ancestors) or finalized blocks by height.
public struct BlockRequest: Hashable, Sendable, WireCodable {
    public enum Target: Hashable, Sendable {
        case byID(BlockID, ancestors: UInt16)
        case finalized(fromHeight: Height, count: UInt16)
    }

    public let requestID: UInt64
    public let target: Target

    public init(requestID: UInt64, target: Target) {
        self.requestID = requestID
        self.target = target
    }

    public func encode(to w: inout WireWriter) {
        w.u64(requestID)
        switch target {
        case .byID(let id, let ancestors): w.u8(1); w.bytes32(id); w.u16(ancestors)
        case .finalized(let from, let count): w.u8(2); w.u64(from); w.u16(count)
        }
    }

    public init(from r: inout WireReader) throws(WireDecodingError) {
        requestID = try r.u64("blockRequest.id")
        switch try r.u8("blockRequest.kind") {
        case 1: target = .byID(try r.bytes32("blockRequest.blockID"), ancestors: try r.u16("blockRequest.ancestors"))
        case 2: target = .finalized(fromHeight: try r.u64("blockRequest.from"), count: try r.u16("blockRequest.count"))
        case let other: throw WireDecodingError(.invalidValue, field: "blockRequest.kind", detail: "\(other)")
        }
    }
}

/// Blocks answering a request, oldest first, and optionally the QC that
/// certifies the last of them (each earlier block is certified by the QC in
/// its successor).
public struct BlockResponse: Hashable, Sendable, WireCodable {
    public let requestID: UInt64
    public let blocks: [Block]
    public let lastBlockQC: QuorumCertificate?

    public init(requestID: UInt64, blocks: [Block], lastBlockQC: QuorumCertificate?) {
        self.requestID = requestID
        self.blocks = blocks
        self.lastBlockQC = lastBlockQC
    }

    public func encode(to w: inout WireWriter) {
        w.u64(requestID)
        w.u16(UInt16(blocks.count))
        for block in blocks { block.encode(to: &w) }
        w.bool(lastBlockQC != nil)
        lastBlockQC?.encode(to: &w)
    }

    public init(from r: inout WireReader) throws(WireDecodingError) {
        requestID = try r.u64("blockResponse.id")
        // A block's header is at least ~150 bytes; 100 is a safe floor for the pre-check.
        let count = try r.count("blockResponse.blocks", max: r.limits.syncBlocksMax, minElementBytes: 100)
        var blocks: [Block] = []
        for _ in 0..<count { blocks.append(try Block(from: &r)) }
        self.blocks = blocks
        lastBlockQC = try r.bool("blockResponse.hasQC") ? try QuorumCertificate(from: &r) : nil
    }
}
