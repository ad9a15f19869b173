/// `GET /v1/blocks/{height}` for a height below the node's retained window
/// (`[storage] retain_blocks`): HTTP 410 Gone, and where the kept blocks start.
public struct PrunedBlock: Codable, Sendable, Hashable {
    public var error: String
    public var oldestRetainedHeight: UInt64

    public init(error: String, oldestRetainedHeight: UInt64) {
        self.error = error
        self.oldestRetainedHeight = oldestRetainedHeight
    }
}
