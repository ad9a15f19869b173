import BatonCrypto

/// A proposed block. Its id is SHA-256 of the canonical encoding of every
/// field but the payload, which enters through its hash; `id` and
/// `payloadHash` are computed, never received, so they cannot disagree with
/// the content.
public struct Block: Hashable, Sendable, CustomStringConvertible {
    public let view: View
    public let height: Height
    public let parentID: BlockID
    /// Certifies the parent: `qc.blockID == parentID`.
    public let qc: QuorumCertificate
    /// The TC for `view - 1`, present iff `qc.view != view - 1`.
    public let lastViewTC: TimeoutCertificate?
    public let proposer: ValidatorIndex
    /// The proposer's clock, milliseconds since the Unix epoch.
    public let timestampMs: UInt64
    /// The app state the proposer had reached: after committing `executedHeight`
    /// its app's state hash was `executedStateHash` (divergent apps show here).
    public let executedHeight: Height
    public let executedStateHash: Bytes32
    public let payload: [UInt8]
    /// SHA-256 of each mempool transaction the payload carries, so every
    /// node's mempool drops them at commit (the payload itself is opaque).
    public let includedTransactions: [Bytes32]
    public let payloadHash: Bytes32
    /// Host-level transactions (e.g. upgrade plans and approvals), opaque to
    /// consensus and never shown to the app; empty in most blocks. It enters
    /// the id through its hash only when non-empty (`BlockHeader`).
    public let hostPayload: [UInt8]
    public let hostPayloadHash: Bytes32?
    public let id: BlockID

    /// Bound of a block's host payload: approvals and plans are small.
    public static let hostPayloadBytesMax = 64 * 1024

    public init(view: View, height: Height, parentID: BlockID, qc: QuorumCertificate, lastViewTC: TimeoutCertificate?,
                proposer: ValidatorIndex, timestampMs: UInt64, executedHeight: Height, executedStateHash: Bytes32,
                payload: [UInt8], includedTransactions: [Bytes32] = [], hostPayload: [UInt8] = []) {
        self.view = view
        self.height = height
        self.parentID = parentID
        self.qc = qc
        self.lastViewTC = lastViewTC
        self.proposer = proposer
        self.timestampMs = timestampMs
        self.executedHeight = executedHeight
        self.executedStateHash = executedStateHash
        self.payload = payload
        self.includedTransactions = includedTransactions
        payloadHash = SHA256Digest.hash(payload)
        self.hostPayload = hostPayload
        hostPayloadHash = hostPayload.isEmpty ? nil : SHA256Digest.hash(hostPayload)
        id = BlockHeader(view: view, height: height, parentID: parentID, qc: qc, lastViewTC: lastViewTC,
                         proposer: proposer, timestampMs: timestampMs, executedHeight: executedHeight,
                         executedStateHash: executedStateHash, includedTransactions: includedTransactions,
                         payloadHash: payloadHash, hostPayloadHash: hostPayloadHash).id
    }

    /// The first block of every chain: view 0, height 0, no parent; certified
    /// by `QuorumCertificate.genesis(id)`. `chainID` makes it unique per chain.
    public static func genesis(chainID: Bytes32, timestampMs: UInt64) -> Block {
        Block(view: 0, height: 0, parentID: chainID, qc: QuorumCertificate.genesis(.zero), lastViewTC: nil, proposer: 0,
              timestampMs: timestampMs, executedHeight: 0, executedStateHash: .zero, payload: [])
    }

    public var description: String { "Block(v\(view) h\(height) \(id.short) ← \(parentID.short))" }

    public static func == (a: Block, b: Block) -> Bool { a.id == b.id }
    public func hash(into hasher: inout Hasher) { hasher.combine(id) }
}

extension Block: WireCodable {
    public func encode(to writer: inout WireWriter) {
        BlockHeader.encodeFields(view: view, height: height, parentID: parentID, qc: qc, lastViewTC: lastViewTC,
                                 proposer: proposer, timestampMs: timestampMs, executedHeight: executedHeight,
                                 executedStateHash: executedStateHash, includedTransactions: includedTransactions,
                                 hasHostPayload: !hostPayload.isEmpty, to: &writer)
        writer.blob(payload)
        if !hostPayload.isEmpty { writer.blob(hostPayload) }
    }

    public init(from reader: inout WireReader) throws(WireDecodingError) {
        let f = try BlockHeader.decodeFields(from: &reader)
        let payload = try reader.blob("block.payload", max: reader.limits.payloadBytesMax)
        let host = f.hasHostPayload ? try reader.blob("block.hostPayload", max: Block.hostPayloadBytesMax) : []
        guard !f.hasHostPayload || !host.isEmpty else {
            throw WireDecodingError(.invalidValue, field: "block.hostPayload", detail: "flagged but empty")
        }
        self.init(view: f.view, height: f.height, parentID: f.parentID, qc: f.qc, lastViewTC: f.lastViewTC,
                  proposer: f.proposer, timestampMs: f.timestampMs, executedHeight: f.executedHeight,
                  executedStateHash: f.executedStateHash, payload: payload, includedTransactions: f.includedTransactions,
                  hostPayload: host)
    }
}

/// A block and its proposer's vote for it (Flow: no separate proposal
/// signature; the proposer's vote is the proof it proposed).
public struct Proposal: Hashable, Sendable, CustomStringConvertible {
    public let block: Block
    /// The proposer's vote signature over (block.view, block.id).
    public let signature: Signature

    public init(block: Block, signature: Signature) {
        self.block = block
        self.signature = signature
    }

    public var proposerVote: Vote { Vote(view: block.view, blockID: block.id, signer: block.proposer, signature: signature) }
    public var description: String { "Proposal(\(block))" }
}

extension Proposal: WireCodable {
    public func encode(to writer: inout WireWriter) {
        block.encode(to: &writer)
        writer.signature(signature)
    }

    public init(from reader: inout WireReader) throws(WireDecodingError) {
        block = try Block(from: &reader)
        signature = try reader.signature("proposal.signature")
    }
}
