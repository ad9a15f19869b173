import BatonCrypto

/// Asked by a member recovering its safety data (see `SafetyRecovery`):
/// "what is the highest view you hold a certificate for?" `nonce` ties the
/// answers to this very request, so none sent to an earlier run of the
/// process can count.
public struct StatusRequest: Hashable, Sendable, WireCodable {
    public let nonce: UInt64

    public init(nonce: UInt64) { self.nonce = nonce }

    public func encode(to w: inout WireWriter) { w.u64(nonce) }

    public init(from r: inout WireReader) throws(WireDecodingError) { nonce = try r.u64("statusRequest.nonce") }
}

/// The answer: the sender's highest QC and last TC — certificates, not a
/// claimed view, so a Byzantine member cannot name a view no quorum reached —
/// and the highest view it has signed in (0: none; the genesis exception).
public struct StatusReport: Hashable, Sendable, WireCodable {
    public let nonce: UInt64
    public let highQC: QuorumCertificate
    public let lastViewTC: TimeoutCertificate?
    public let signedThrough: View

    public init(nonce: UInt64, highQC: QuorumCertificate, lastViewTC: TimeoutCertificate?, signedThrough: View) {
        self.nonce = nonce
        self.highQC = highQC
        self.lastViewTC = lastViewTC
        self.signedThrough = signedThrough
    }

    /// The highest view these certificates prove a quorum reached.
    public var certifiedView: View { max(highQC.view, lastViewTC?.view ?? 0) }

    public func encode(to w: inout WireWriter) {
        w.u64(nonce)
        highQC.encode(to: &w)
        w.bool(lastViewTC != nil)
        lastViewTC?.encode(to: &w)
        w.u64(signedThrough)
    }

    public init(from r: inout WireReader) throws(WireDecodingError) {
        nonce = try r.u64("status.nonce")
        highQC = try QuorumCertificate(from: &r)
        lastViewTC = try r.bool("status.hasTC") ? try TimeoutCertificate(from: &r) : nil
        signedThrough = try r.u64("status.signedThrough")
    }
}
