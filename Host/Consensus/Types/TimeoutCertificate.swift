import BatonCrypto

/// Proof that more than 2/3 of the weight timed out in `view`. DiemBFT v4
/// compression: the highest QC among the timeouts, and per signer only the
/// view of its highest QC (what its signature covers), not the QCs themselves.
public struct TimeoutCertificate: Hashable, Sendable, CustomStringConvertible {
    public let view: View
    public let highQC: QuorumCertificate
    public let signers: SignerSet
    /// Per signer, ascending signer order: the view of that signer's highest QC.
    public let highQCViews: [View]
    public let signatures: [Signature]

    public init(view: View, highQC: QuorumCertificate, signers: SignerSet, highQCViews: [View], signatures: [Signature]) {
        self.view = view
        self.highQC = highQC
        self.signers = signers
        self.highQCViews = highQCViews
        self.signatures = signatures
    }

    public var description: String { "TC(v\(view) high \(highQC.view) ×\(signatures.count))" }
}

extension TimeoutCertificate: WireCodable {
    public func encode(to writer: inout WireWriter) {
        writer.u64(view)
        highQC.encode(to: &writer)
        signers.encode(to: &writer)
        for (qcView, signature) in zip(highQCViews, signatures) {
            writer.u64(qcView)
            writer.signature(signature)
        }
    }

    public init(from reader: inout WireReader) throws(WireDecodingError) {
        view = try reader.u64("tc.view")
        highQC = try QuorumCertificate(from: &reader)
        signers = try SignerSet(from: &reader)
        let count = signers.count
        guard count * (8 + Signature.byteCount) <= reader.remaining else {
            throw WireDecodingError(.truncated, field: "tc.signatures")
        }
        var views: [View] = [], signatures: [Signature] = []
        views.reserveCapacity(count)
        signatures.reserveCapacity(count)
        for _ in 0..<count {
            views.append(try reader.u64("tc.highQCView"))
            signatures.append(try reader.signature("tc.signature"))
        }
        highQCViews = views
        self.signatures = signatures
    }
}
