import BatonCrypto

/// A block without its payload, which enters through `payloadHash`: exactly the
/// preimage of the block id. Finality proofs carry headers, so whoever checks
/// one needs no payload it does not care about, and can still recompute every
/// id and follow every parent link.
public struct BlockHeader: Hashable, Sendable {
    public let view: View
    public let height: Height
    public let parentID: BlockID
    /// Certifies the parent: `qc.blockID == parentID`.
    public let qc: QuorumCertificate
    public let lastViewTC: TimeoutCertificate?
    public let proposer: ValidatorIndex
    public let timestampMs: UInt64
    public let executedHeight: Height
    public let executedStateHash: Bytes32
    public let includedTransactions: [Bytes32]
    public let payloadHash: Bytes32
    /// SHA-256 of the block's host payload (host-level transactions such as
    /// upgrade approvals), or nil when it carries none. A block without one
    /// encodes exactly as before host payloads existed: same bytes, same id.
    public let hostPayloadHash: Bytes32?
    /// SHA-256 of the encoding: computed, never received.
    public let id: BlockID

    /// The flags byte of the encoding: bit 0, a TC follows; bit 1, the block
    /// has a host payload (its hash follows the payload hash). Older decoders
    /// read it as a boolean and refuse 2 and 3, as they should.
    static let flagTC: UInt8 = 1
    static let flagHostPayload: UInt8 = 2

    public init(view: View, height: Height, parentID: BlockID, qc: QuorumCertificate, lastViewTC: TimeoutCertificate?,
                proposer: ValidatorIndex, timestampMs: UInt64, executedHeight: Height, executedStateHash: Bytes32,
                includedTransactions: [Bytes32], payloadHash: Bytes32, hostPayloadHash: Bytes32? = nil) {
        self.init(view: view, height: height, parentID: parentID, qc: qc, lastViewTC: lastViewTC, proposer: proposer,
                  timestampMs: timestampMs, executedHeight: executedHeight, executedStateHash: executedStateHash,
                  includedTransactions: includedTransactions, payloadHash: payloadHash, hostPayloadHash: hostPayloadHash,
                  knownID: nil)
    }

    /// `knownID`: the id of a `Block` built from these very fields (its init
    /// hashed them already), so taking a block's header costs no SHA-256.
    init(view: View, height: Height, parentID: BlockID, qc: QuorumCertificate, lastViewTC: TimeoutCertificate?,
         proposer: ValidatorIndex, timestampMs: UInt64, executedHeight: Height, executedStateHash: Bytes32,
         includedTransactions: [Bytes32], payloadHash: Bytes32, hostPayloadHash: Bytes32?, knownID: BlockID?) {
        self.view = view
        self.height = height
        self.parentID = parentID
        self.qc = qc
        self.lastViewTC = lastViewTC
        self.proposer = proposer
        self.timestampMs = timestampMs
        self.executedHeight = executedHeight
        self.executedStateHash = executedStateHash
        self.includedTransactions = includedTransactions
        self.payloadHash = payloadHash
        self.hostPayloadHash = hostPayloadHash
        if let knownID {
            id = knownID
            return
        }
        var writer = WireWriter(capacity: 512 + 32 * includedTransactions.count)
        Self.encodeFields(view: view, height: height, parentID: parentID, qc: qc, lastViewTC: lastViewTC,
                          proposer: proposer, timestampMs: timestampMs, executedHeight: executedHeight,
                          executedStateHash: executedStateHash, includedTransactions: includedTransactions,
                          hasHostPayload: hostPayloadHash != nil, to: &writer)
        writer.bytes32(payloadHash)
        if let hostPayloadHash { writer.bytes32(hostPayloadHash) }
        id = SHA256Digest.hash(writer.bytes)
    }

    /// Everything before the payload (or its hash), in the canonical order:
    /// `Block` writes the same fields, then the payload itself.
    static func encodeFields(view: View, height: Height, parentID: BlockID, qc: QuorumCertificate,
                             lastViewTC: TimeoutCertificate?, proposer: ValidatorIndex, timestampMs: UInt64,
                             executedHeight: Height, executedStateHash: Bytes32, includedTransactions: [Bytes32],
                             hasHostPayload: Bool, to w: inout WireWriter) {
        w.u64(view)
        w.u64(height)
        w.bytes32(parentID)
        qc.encode(to: &w)
        w.u8((lastViewTC != nil ? flagTC : 0) | (hasHostPayload ? flagHostPayload : 0))
        lastViewTC?.encode(to: &w)
        w.u16(proposer)
        w.u64(timestampMs)
        w.u64(executedHeight)
        w.bytes32(executedStateHash)
        w.u16(UInt16(includedTransactions.count))
        for hash in includedTransactions { w.bytes32(hash) }
    }

    /// Reads the fields `encodeFields` writes, in a tuple `Block` and
    /// `BlockHeader` both build from.
    static func decodeFields(from reader: inout WireReader) throws(WireDecodingError) -> Fields {
        let view = try reader.u64("block.view")
        let height = try reader.u64("block.height")
        let parentID = try reader.bytes32("block.parentID")
        let qc = try QuorumCertificate(from: &reader)
        let flags = try reader.u8("block.flags")
        guard flags & ~(flagTC | flagHostPayload) == 0 else {
            throw WireDecodingError(.invalidValue, field: "block.flags", detail: "unknown flags \(flags)")
        }
        let tc = flags & flagTC != 0 ? try TimeoutCertificate(from: &reader) : nil
        let proposer = try reader.u16("block.proposer")
        let timestamp = try reader.u64("block.timestampMs")
        let executedHeight = try reader.u64("block.executedHeight")
        let executedHash = try reader.bytes32("block.executedStateHash")
        let includedCount = try reader.count("block.includedTransactions", max: reader.limits.transactionsMax, minElementBytes: 32)
        var included: [Bytes32] = []
        included.reserveCapacity(includedCount)
        for _ in 0..<includedCount { included.append(try reader.bytes32("block.includedTransaction")) }
        return Fields(view: view, height: height, parentID: parentID, qc: qc, lastViewTC: tc, proposer: proposer,
                      timestampMs: timestamp, executedHeight: executedHeight, executedStateHash: executedHash,
                      includedTransactions: included, hasHostPayload: flags & flagHostPayload != 0)
    }

    struct Fields {
        let view: View, height: Height, parentID: BlockID, qc: QuorumCertificate, lastViewTC: TimeoutCertificate?
        let proposer: ValidatorIndex, timestampMs: UInt64, executedHeight: Height, executedStateHash: Bytes32
        let includedTransactions: [Bytes32]
        let hasHostPayload: Bool
    }
}

extension BlockHeader: WireCodable {
    public func encode(to writer: inout WireWriter) {
        Self.encodeFields(view: view, height: height, parentID: parentID, qc: qc, lastViewTC: lastViewTC,
                          proposer: proposer, timestampMs: timestampMs, executedHeight: executedHeight,
                          executedStateHash: executedStateHash, includedTransactions: includedTransactions,
                          hasHostPayload: hostPayloadHash != nil, to: &writer)
        writer.bytes32(payloadHash)
        if let hostPayloadHash { writer.bytes32(hostPayloadHash) }
    }

    public init(from reader: inout WireReader) throws(WireDecodingError) {
        let f = try Self.decodeFields(from: &reader)
        let payloadHash = try reader.bytes32("block.payloadHash")
        let hostPayloadHash = f.hasHostPayload ? try reader.bytes32("block.hostPayloadHash") : nil
        self.init(view: f.view, height: f.height, parentID: f.parentID, qc: f.qc, lastViewTC: f.lastViewTC,
                  proposer: f.proposer, timestampMs: f.timestampMs, executedHeight: f.executedHeight,
                  executedStateHash: f.executedStateHash, includedTransactions: f.includedTransactions,
                  payloadHash: payloadHash, hostPayloadHash: hostPayloadHash)
    }
}

extension Block {
    /// This block without its payload; same id.
    public var header: BlockHeader {
        BlockHeader(view: view, height: height, parentID: parentID, qc: qc, lastViewTC: lastViewTC, proposer: proposer,
                    timestampMs: timestampMs, executedHeight: executedHeight, executedStateHash: executedStateHash,
                    includedTransactions: includedTransactions, payloadHash: payloadHash, hostPayloadHash: hostPayloadHash,
                    knownID: id)
    }
}
