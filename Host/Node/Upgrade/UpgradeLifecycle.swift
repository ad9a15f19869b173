import Consensus
import Governance

/// This node's side of live upgrades, as a value the node owns: which plan's
/// application runs, the next one prepared ahead of its height, and the plan
/// whose plugin it waits for. Decisions only; the node loads plugins, logs,
/// and serves the instance this says. Generic over the instance so the rules
/// are tested without plugins.
///
/// The rules (docs/governance.md, "Live upgrades"):
/// - V-1 A block at height h is produced, validated and committed only by the
///   application `schedule.plan(at: h)` names (the genesis's when none): never
///   by the old plugin at or above a plan's first height.
/// - V-2 The old instance is released only after the first block at or above
///   the plan's height was committed by the new one.
/// - V-3 Without the plan's plugin, the node applies nothing from the plan's
///   height, and resumes once the file appears.
struct UpgradeLifecycle<Instance> {
    /// The plan whose application runs (nil: the genesis's).
    private(set) var running: UpgradePlan?
    /// The next decided plan's instance, loaded ahead of its height.
    private(set) var prepared: (plan: UpgradePlan, instance: Instance)?
    /// V-3: the plan whose plugin this node waits for.
    private(set) var awaiting: UpgradePlan?
    /// Why the next plan is not ready (shown in `/v1/upgrade`), or nil.
    private(set) var problem: String?
    /// When loading the next plan was last tried: at most once a second.
    private var lastAttemptMs: UInt64?
    static var retryMs: UInt64 { 1_000 }

    /// V-1: the instance for blocks at `height` — `current` (the running
    /// plan's), the prepared one, or nil when that application is not here.
    func instance(for height: Height, in schedule: UpgradeSchedule, current: Instance) -> Instance? {
        let plan = schedule.plan(at: height)
        if plan == running { return current }
        if let prepared, prepared.plan == plan { return prepared.instance }
        return nil
    }

    /// The next decided plan above `finalizedHeight` to load now, or nil: none,
    /// prepared already, or tried less than a second ago (unless `force`).
    mutating func planToPrepare(in schedule: UpgradeSchedule, above finalizedHeight: Height, nowMs: UInt64,
                                force: Bool = false) -> UpgradePlan? {
        guard let next = schedule.decided.first(where: { $0.plan.fromHeight > finalizedHeight && $0.plan != running })?.plan,
              prepared?.plan != next else { return nil }
        if !force, let last = lastAttemptMs, nowMs < last + Self.retryMs { return nil }
        lastAttemptMs = nowMs
        return next
    }

    mutating func didPrepare(_ plan: UpgradePlan, _ instance: Instance) {
        prepared = (plan, instance)
        problem = nil
    }

    mutating func notReady(_ why: String) { problem = why }

    /// `plan`'s application runs from now; V-2: a prepared instance that was
    /// switched to is no longer kept apart.
    mutating func installed(_ plan: UpgradePlan, switched: Bool) {
        running = plan
        if switched { prepared = nil }
    }

    /// V-3: waits for `plan`'s plugin. False if it waits already (for any plan).
    mutating func waitFor(_ plan: UpgradePlan, reason: String) -> Bool {
        guard awaiting == nil else { return false }
        awaiting = plan
        problem = reason
        return true
    }

    /// The awaited plugin is here: it is the prepared instance, and the wait ends.
    mutating func arrived(_ instance: Instance) {
        guard let plan = awaiting else { return }
        prepared = (plan, instance)
        awaiting = nil
        problem = nil
    }
}
