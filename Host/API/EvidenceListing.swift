/// `GET /v1/evidence`: offences this node saw, newest kept within its bound.
public struct EvidenceListing: Codable, Sendable, Hashable {
    /// Offences seen since the node started.
    public var total: Int
    /// Offences still held (at most `capacity`).
    public var kept: Int
    public var capacity: Int
    public var evidence: [EvidenceReport]

    public init(total: Int, kept: Int, capacity: Int, evidence: [EvidenceReport]) {
        (self.total, self.kept, self.capacity, self.evidence) = (total, kept, capacity, evidence)
    }
}
