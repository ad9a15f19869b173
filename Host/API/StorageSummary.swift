/// `GET /v1/status` → `storage`: which finalized blocks the node still
/// serves (`[storage] retain_blocks`; `GET /v1/blocks/{h}` below the oldest
/// answers 410).
public struct StorageSummary: Codable, Sendable, Hashable {
    /// The oldest finalized height whose block is kept (1: none pruned).
    public var oldestRetainedHeight: UInt64
    /// The window kept (nil: every block, an archive).
    @Nullable public var retainBlocks: UInt64?

    public init(oldestRetainedHeight: UInt64, retainBlocks: UInt64?) {
        self.oldestRetainedHeight = oldestRetainedHeight
        self.retainBlocks = retainBlocks
    }
}
