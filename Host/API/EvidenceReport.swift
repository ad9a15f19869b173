/// `GET /v1/evidence` `evidence`: one offence, verifiable offline — who, in
/// which view, and both signed messages with what each signature covers.
public struct EvidenceReport: Codable, Sendable, Hashable {
    public var kind: String
    public var offender: Int
    public var view: UInt64
    public var chainID: String
    public var seenAtMs: UInt64
    public var epoch: UInt64
    /// The offender's key, when the node knew it (absent otherwise).
    public var publicKey: String?
    public var messages: [SignedMessage]

    public init(kind: String, offender: Int, view: UInt64, chainID: String, seenAtMs: UInt64, epoch: UInt64,
                publicKey: String?, messages: [SignedMessage]) {
        (self.kind, self.offender, self.view, self.chainID) = (kind, offender, view, chainID)
        (self.seenAtMs, self.epoch, self.publicKey, self.messages) = (seenAtMs, epoch, publicKey, messages)
    }

    /// A signed message in full (hex), the digest its signature covers, and
    /// the field that makes the pair conflict.
    public struct SignedMessage: Codable, Sendable, Hashable {
        /// "vote", "proposal" or "timeout".
        public var type: String
        public var message: String
        public var digest: String
        public var signature: String
        /// Votes and proposals: the block signed.
        public var blockID: String?
        /// Timeouts: the view of the highest QC the timeout carries.
        public var highQCView: UInt64?

        public init(type: String, message: String, digest: String, signature: String, blockID: String? = nil,
                    highQCView: UInt64? = nil) {
            (self.type, self.message, self.digest, self.signature) = (type, message, digest, signature)
            (self.blockID, self.highQCView) = (blockID, highQCView)
        }
    }
}
