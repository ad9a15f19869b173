/// `GET /v1/status` → `storage`: which finalized blocks the node still
/// serves (`[storage] retain_blocks`; `GET /v1/blocks/{h}` below the oldest
/// answers 410).
public struct StorageSummary: Codable, Sendable, Hashable {
    /// The oldest finalized height whose block is kept (1: none pruned).
    public var oldestRetainedHeight: UInt64
    /// The window kept (nil: every block, an archive).
    @Nullable public var retainBlocks: UInt64?
    /// The application's `retain_height` (ABI 1.7): blocks from it up are
    /// kept whatever the window says (0: no wish).
    public var appRetainHeight: UInt64
    /// The snapshot height this node was restored from since it started
    /// (state sync or `baton snapshot import`), nil if none.
    @Nullable public var restoredFrom: UInt64?
    /// How that restored state was accepted: "recomputed" (the plugin's
    /// `state_hash_from_store` gave the certified hash) or
    /// "chunk-hashes-only" (the plugin cannot recompute it).
    @Nullable public var restoredStateCheck: String?
    /// Why block sync cannot bring this node to its peers' height — they
    /// pruned the block it needs next — and what to do; nil when it can.
    @Nullable public var cannotCatchUp: String?

    public init(oldestRetainedHeight: UInt64, retainBlocks: UInt64?, appRetainHeight: UInt64 = 0,
                restoredFrom: UInt64? = nil, restoredStateCheck: String? = nil, cannotCatchUp: String? = nil) {
        self.oldestRetainedHeight = oldestRetainedHeight
        self.retainBlocks = retainBlocks
        self.appRetainHeight = appRetainHeight
        self.restoredFrom = restoredFrom
        self.restoredStateCheck = restoredStateCheck
        self.cannotCatchUp = cannotCatchUp
    }
}
