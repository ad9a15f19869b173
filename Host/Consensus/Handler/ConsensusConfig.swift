/// Bounds and timing of one core. Every cache has a named bound.
public struct ConsensusConfig: Hashable, Sendable {
    public var pacemaker = Pacemaker.Config()
    /// Who leads each view (LR-1 … LR-8); the genesis decides it for every node.
    public var leaderElection = LeaderElectionRule.standard
    /// Messages for views further ahead than this are not stored (their
    /// certificates may still move the node ahead).
    public var viewsAheadMax: UInt64 = 64
    /// Proposals waiting for a missing ancestor.
    public var pendingProposalsMax = 128
    /// Blocks asked of peers and not yet delivered.
    public var outstandingFetchesMax = 64
    /// Ancestors asked for along with a missing block.
    public var fetchAncestors: UInt16 = 16
    /// An unanswered request for a block may be made again after this long.
    /// Every proposal building on a missing block asks for it: without this
    /// bound a far-behind node floods its peers with the same requests.
    public var fetchRetryMs: UInt64 = 1_000
    /// A block whose parent is missing and which stands more than this many
    /// heights above the finalized block starts catch-up by height (finalized
    /// blocks in order, `catchUpBatch` at a time) instead of walking back
    /// from the tip by id, which never connects once the gap outgrows the
    /// cache of unconnected blocks.
    public var catchUpDistance: Height = 32
    public var catchUpBatch: UInt16 = 128
    /// Own app state hashes kept per executed height (and certified hashes
    /// kept for heights not executed yet) for the app-agreement rule: 40
    /// bytes each. A proposal whose executed height is older than this is
    /// not voted for (see `AppAgreement`).
    public var appHashesRetained = 1_024

    public init() {}
}
