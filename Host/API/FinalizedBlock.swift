/// `GET /v1/blocks/{height}`: a finalized block and what it carries.
public struct FinalizedBlock: Codable, Sendable, Hashable {
    public var height: UInt64
    public var id: String
    public var view: UInt64
    public var parentID: String
    public var proposer: Int
    public var timestampMs: UInt64
    public var payloadBytes: Int
    /// The payload, hex.
    public var payload: String
    /// The hashes of the client transactions it includes, in order.
    public var transactions: [String]

    public init(height: UInt64, id: String, view: UInt64, parentID: String, proposer: Int, timestampMs: UInt64,
                payloadBytes: Int, payload: String, transactions: [String]) {
        (self.height, self.id, self.view, self.parentID, self.proposer) = (height, id, view, parentID, proposer)
        (self.timestampMs, self.payloadBytes, self.payload, self.transactions) = (timestampMs, payloadBytes, payload, transactions)
    }
}
