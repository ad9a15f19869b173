import BatonCrypto

/// Flow's TimeoutObject: a member gives up on `view`. It carries its highest
/// QC, and the TC for `view - 1` if and only if that QC is not from `view - 1`,
/// so the sender proves it entered `view` legitimately (this is what keeps
/// far-future timeouts from being free to forge).
public struct TimeoutObject: Hashable, Sendable, CustomStringConvertible {
    public let view: View
    public let highQC: QuorumCertificate
    public let lastViewTC: TimeoutCertificate?
    public let signer: ValidatorIndex
    /// Over `SigningDomain.timeoutDigest(view, highQC.view)`.
    public let signature: Signature

    public init(view: View, highQC: QuorumCertificate, lastViewTC: TimeoutCertificate?, signer: ValidatorIndex,
                signature: Signature) {
        self.view = view
        self.highQC = highQC
        self.lastViewTC = lastViewTC
        self.signer = signer
        self.signature = signature
    }

    public var description: String { "Timeout(v\(view) high \(highQC.view) by \(signer))" }
}

extension TimeoutObject: WireCodable {
    public func encode(to writer: inout WireWriter) {
        writer.u64(view)
        highQC.encode(to: &writer)
        writer.bool(lastViewTC != nil)
        lastViewTC?.encode(to: &writer)
        writer.u16(signer)
        writer.signature(signature)
    }

    public init(from reader: inout WireReader) throws(WireDecodingError) {
        view = try reader.u64("timeout.view")
        highQC = try QuorumCertificate(from: &reader)
        lastViewTC = try reader.bool("timeout.hasTC") ? try TimeoutCertificate(from: &reader) : nil
        signer = try reader.u16("timeout.signer")
        signature = try reader.signature("timeout.signature")
    }
}
