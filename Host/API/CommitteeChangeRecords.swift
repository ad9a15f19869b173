/// `GET /v1/committee/changes`: every epoch switch record (hex), oldest
/// first — self-verifying from the genesis committee, each under the
/// committee before it, so a verifier need not trust the node serving them.
public struct CommitteeChangeRecords: Codable, Sendable, Hashable {
    public var changes: [String]
    public init(changes: [String]) { self.changes = changes }
}
