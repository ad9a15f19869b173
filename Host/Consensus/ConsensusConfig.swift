/// Bounds and timing of one core. Every cache has a named bound.
public struct ConsensusConfig: Hashable, Sendable {
    public var pacemaker = Pacemaker.Config()
    /// Messages for views further ahead than this are not stored (their
    /// certificates may still move the node ahead).
    public var viewsAheadMax: UInt64 = 64
    /// Proposals waiting for a missing ancestor.
    public var pendingProposalsMax = 128
    /// Blocks asked of peers and not yet delivered.
    public var outstandingFetchesMax = 64
    /// Ancestors asked for along with a missing block.
    public var fetchAncestors: UInt16 = 16

    public init() {}
}
