/// `GET /v1/upgrade` and `baton upgrade status`: what the chain decided of
/// live upgrades, and this node's side of them.
public struct UpgradeStatus: Codable, Sendable, Hashable, OpenPlanListing {
    public var height: UInt64
    public var leadBlocksMin: UInt64
    public var application: RunningApplication
    public var open: [OpenPlanEntry<UpgradePlanDescription>]
    public var decided: [DecidedPlanEntry<UpgradePlanDescription>]
    public var node: UpgradeReadiness

    public init(height: UInt64, leadBlocksMin: UInt64, application: RunningApplication,
                open: [OpenPlanEntry<UpgradePlanDescription>], decided: [DecidedPlanEntry<UpgradePlanDescription>],
                node: UpgradeReadiness) {
        (self.height, self.leadBlocksMin, self.application) = (height, leadBlocksMin, application)
        (self.open, self.decided, self.node) = (open, decided, node)
    }

    /// The application serving the chain's height now.
    public struct RunningApplication: Codable, Sendable, Hashable {
        public var plugin: String
        public var version: String
        /// The plan in force (nil: the genesis's plugin).
        @Nullable public var plan: String?

        public init(plugin: String, version: String, plan: String?) {
            (self.plugin, self.version) = (plugin, version)
            self.plan = plan
        }
    }
}

/// An upgrade plan, every field its id covers (a member rebuilds and checks
/// it before signing an approval).
public struct UpgradePlanDescription: Codable, Sendable, Hashable, IdentifiedPlan {
    public var id: String
    public var chainID: String
    public var fromHeight: UInt64
    public var expiresAtHeight: UInt64
    public var plugin: String
    public var version: String
    public var sha256: String

    public init(id: String, chainID: String, fromHeight: UInt64, expiresAtHeight: UInt64, plugin: String,
                version: String, sha256: String) {
        (self.id, self.chainID, self.fromHeight, self.expiresAtHeight) = (id, chainID, fromHeight, expiresAtHeight)
        (self.plugin, self.version, self.sha256) = (plugin, version, sha256)
    }
}

/// This node's side of upgrades: the next plan's instance prepared, the plan
/// whose plugin it waits for, the last problem preparing it.
public struct UpgradeReadiness: Codable, Sendable, Hashable {
    @Nullable public var prepared: String?
    @Nullable public var awaitingPlugin: String?
    @Nullable public var problem: String?

    public init(prepared: String?, awaitingPlugin: String?, problem: String?) {
        self.prepared = prepared
        self.awaitingPlugin = awaitingPlugin
        self.problem = problem
    }
}

/// `/v1/status` `upgrades`: a decided plan, when it was decided and from which height it runs.
public struct UpgradeDecision: Codable, Sendable, Hashable {
    public var plan: String
    public var plugin: String
    public var version: String
    public var fromHeight: UInt64
    public var decidedAt: UInt64
    public var inEffect: Bool

    public init(plan: String, plugin: String, version: String, fromHeight: UInt64, decidedAt: UInt64, inEffect: Bool) {
        (self.plan, self.plugin, self.version) = (plan, plugin, version)
        (self.fromHeight, self.decidedAt, self.inEffect) = (fromHeight, decidedAt, inEffect)
    }
}
