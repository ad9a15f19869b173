import BatonCrypto

/// Proof that more than 2/3 of the committee's weight voted for `blockID` in
/// `view`: the signer bitmap and their vote signatures in ascending signer order.
public struct QuorumCertificate: Hashable, Sendable, CustomStringConvertible {
    public let view: View
    public let blockID: BlockID
    public let signers: SignerSet
    public let signatures: [Signature]

    public init(view: View, blockID: BlockID, signers: SignerSet, signatures: [Signature]) {
        self.view = view
        self.blockID = blockID
        self.signers = signers
        self.signatures = signatures
    }

    /// The root certificate of the chain: certifies the genesis block by
    /// definition, with no signatures.
    public static func genesis(_ genesisID: BlockID) -> QuorumCertificate {
        QuorumCertificate(view: 0, blockID: genesisID, signers: SignerSet(capacity: 0), signatures: [])
    }

    /// The certificate an epoch starts from (EP-3): `block` is the last block
    /// of the previous epoch, final there; this committee certifies it by
    /// definition, with no signatures. For the genesis block it is `genesis`.
    public static func root(of block: Block) -> QuorumCertificate {
        QuorumCertificate(view: block.view, blockID: block.id, signers: SignerSet(capacity: 0), signatures: [])
    }

    public var description: String { "QC(v\(view) \(blockID.short) ×\(signatures.count))" }
}

extension QuorumCertificate: WireCodable {
    public func encode(to writer: inout WireWriter) {
        writer.u64(view)
        writer.bytes32(blockID)
        signers.encode(to: &writer)
        for signature in signatures { writer.signature(signature) }
    }

    public init(from reader: inout WireReader) throws(WireDecodingError) {
        view = try reader.u64("qc.view")
        blockID = try reader.bytes32("qc.blockID")
        signers = try SignerSet(from: &reader)
        // One signature per signer, in the bitmap's order: the count is implied.
        let count = signers.count
        guard count * Signature.byteCount <= reader.remaining else { throw WireDecodingError(.truncated, field: "qc.signatures") }
        var signatures: [Signature] = []
        signatures.reserveCapacity(count)
        for _ in 0..<count { signatures.append(try reader.signature("qc.signature")) }
        self.signatures = signatures
    }
}
