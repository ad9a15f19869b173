/// AA-1 / AA-3 (docs/governance.md, "App agreement"): a block whose certified state hash
/// is not this node's — why a node stopped, or refused to vote.
public struct AppMismatch: Codable, Sendable, Hashable {
    public var height: UInt64
    public var ownHash: String
    public var otherHash: String
    public var block: String
    public var proposer: Int

    public init(height: UInt64, ownHash: String, otherHash: String, block: String, proposer: Int) {
        (self.height, self.ownHash, self.otherHash, self.block, self.proposer) = (height, ownHash, otherHash, block, proposer)
    }
}
