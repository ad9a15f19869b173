/// `/v1/status` `plugin`: the application this node runs, and what its calls
/// are doing now (issue 29: a stuck call is named while it happens).
public struct PluginStatus: Codable, Sendable, Hashable {
    public var name: String
    /// Absent in the busy answer (the loaded build is the actor's to say).
    public var version: String?
    @Nullable public var sha256: String?
    public var pinned: Bool
    /// The upgrade plan in force (nil: the genesis's plugin). Absent in the busy answer.
    public var plan: Nullable<String>?
    public var stuck: [StuckCall]
    public var sideQueue: SideQueue

    public init(name: String, version: String?, sha256: String?, pinned: Bool, plan: Nullable<String>?,
                stuck: [StuckCall], sideQueue: SideQueue) {
        self.name = name
        self.version = version
        self.sha256 = sha256
        self.pinned = pinned
        self.plan = plan
        self.stuck = stuck
        self.sideQueue = sideQueue
    }
}

/// A plugin call past its budget now, longest first.
public struct StuckCall: Codable, Sendable, Hashable {
    public var call: String
    @Nullable public var height: UInt64?
    public var elapsedMs: UInt64
    public var budgetMs: UInt64
    public var text: String

    public init(call: String, height: UInt64?, elapsedMs: UInt64, budgetMs: UInt64, text: String) {
        (self.call, self.elapsedMs, self.budgetMs, self.text) = (call, elapsedMs, budgetMs, text)
        self.height = height
    }
}

/// The plugin's side lane (`check_tx`, `query`): calls waiting, workers, bound.
public struct SideQueue: Codable, Sendable, Hashable {
    public var waiting: Int
    public var workers: Int
    public var capacity: Int

    public init(waiting: Int, workers: Int, capacity: Int) {
        (self.waiting, self.workers, self.capacity) = (waiting, workers, capacity)
    }
}
