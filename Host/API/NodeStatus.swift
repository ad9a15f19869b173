/// `GET /v1/status`: one node's state, as its loop last stepped.
public struct NodeStatus: Codable, Sendable, Hashable {
    public var node: String
    public var chainID: String
    /// Its index in the committee (nil: a follower or a former member).
    @Nullable public var member: Int?
    public var view: UInt64
    public var finalizedHeight: UInt64
    public var finalizedID: String
    public var stateHash: String
    public var peers: Int
    public var mempool: Int
    public var duplicateKeyConnections: Int
    public var plugin: PluginStatus
    /// AA-3: why the node stopped itself (nil: it did not).
    @Nullable public var appDiverged: AppMismatch?
    /// Evidence records held (`GET /v1/evidence`).
    public var evidence: Int
    public var upgrade: UpgradeReadiness
    public var upgrades: [UpgradeDecision]
    public var epoch: UInt64
    public var committeeChanges: [CommitteeChange]
    public var appState: AppStateSummary
    public var leaders: LeaderSummary
    public var storage: StorageSummary

    public init(node: String, chainID: String, member: Int?, view: UInt64, finalizedHeight: UInt64, finalizedID: String,
                stateHash: String, peers: Int, mempool: Int, duplicateKeyConnections: Int, plugin: PluginStatus,
                appDiverged: AppMismatch?, evidence: Int, upgrade: UpgradeReadiness, upgrades: [UpgradeDecision],
                epoch: UInt64, committeeChanges: [CommitteeChange], appState: AppStateSummary, leaders: LeaderSummary,
                storage: StorageSummary) {
        (self.node, self.chainID, self.view, self.finalizedHeight) = (node, chainID, view, finalizedHeight)
        (self.finalizedID, self.stateHash, self.peers, self.mempool) = (finalizedID, stateHash, peers, mempool)
        (self.duplicateKeyConnections, self.plugin, self.evidence, self.upgrade) = (duplicateKeyConnections, plugin, evidence, upgrade)
        (self.upgrades, self.epoch, self.committeeChanges) = (upgrades, epoch, committeeChanges)
        (self.appState, self.leaders, self.storage) = (appState, leaders, storage)
        self.member = member
        self.appDiverged = appDiverged
    }
}

/// `/v1/status` while the node's loop is held by a stuck plugin call: only
/// what is readable without the loop, from its last step, and why.
public struct BusyNodeStatus: Codable, Sendable, Hashable {
    public var node: String
    public var chainID: String
    public var view: UInt64
    public var finalizedHeight: UInt64
    public var finalizedID: String
    public var stateHash: String
    public var peers: Int
    public var plugin: PluginStatus
    @Nullable public var appDiverged: AppMismatch?
    public var busy: String

    public init(node: String, chainID: String, view: UInt64, finalizedHeight: UInt64, finalizedID: String,
                stateHash: String, peers: Int, plugin: PluginStatus, appDiverged: AppMismatch?, busy: String) {
        (self.node, self.chainID, self.view, self.finalizedHeight) = (node, chainID, view, finalizedHeight)
        (self.finalizedID, self.stateHash, self.peers, self.plugin, self.busy) = (finalizedID, stateHash, peers, plugin, busy)
        self.appDiverged = appDiverged
    }
}

/// AA-1: proposals not voted for because their app state hash is not ours.
public struct AppStateSummary: Codable, Sendable, Hashable {
    public var refusedProposals: Int
    @Nullable public var lastRefusal: AppMismatch?

    public init(refusedProposals: Int, lastRefusal: AppMismatch?) {
        self.refusedProposals = refusedProposals
        self.lastRefusal = lastRefusal
    }
}

/// LR-3 (docs/consensus.md, "Leader reputation"): who leads less, and why.
public struct LeaderSummary: Codable, Sendable, Hashable {
    public var election: String
    /// Views whose stake-drawn leader was passed over, since the node started.
    public var skippedViews: Int
    public var members: [Standing]

    public init(election: String, skippedViews: Int, members: [Standing]) {
        (self.election, self.skippedViews, self.members) = (election, skippedViews, members)
    }

    /// One member's record in the reputation window.
    public struct Standing: Codable, Sendable, Hashable {
        public var member: Int
        /// "active", "failing" or "inactive".
        public var standing: String
        public var proposed: Int
        public var failed: Int
        public var voted: Int

        public init(member: Int, standing: String, proposed: Int, failed: Int, voted: Int) {
            (self.member, self.standing, self.proposed, self.failed, self.voted) = (member, standing, proposed, failed, voted)
        }
    }
}
