import BatonCrypto
import Consensus
@testable import Node
import Simulation
import Testing
import Governance

/// This node's side of live upgrades (`UpgradeLifecycle`, V-1 … V-3), with
/// strings for instances: which instance serves a height, when the next plan
/// is loaded, the wait for a missing plugin.
@Suite struct UpgradeLifecycleTests {
    let net = SimulatedCommittee(n: 4, realCrypto: true, seed: 9)
    let verifier = Secp256k1Verifier()

    /// A schedule with `plan` decided (three of four approve at height 8).
    func decided(_ plan: UpgradePlan) -> UpgradeSchedule {
        var schedule = UpgradeSchedule()
        let sign = { (member: Int) in Approval.sign(plan, with: net.signer(member)) }
        _ = schedule.apply([.propose(.upgrade(plan), sign(0)), .approve(.upgrade, sign(1)), .approve(.upgrade, sign(2))],
                           at: 8, committee: net.committee, verifier: verifier)
        return schedule
    }

    var plan: UpgradePlan {
        UpgradePlan(chainID: net.committee.chainID, fromHeight: 40, expiresAtHeight: 30, plugin: "kvstore",
                    pluginVersion: "2.0.0", sha256: SHA256Digest.hash([2]))
    }

    /// V-1: below the plan's height the running (genesis) instance; from it,
    /// only the prepared one, and nothing while none is prepared.
    @Test func eachHeightIsServedOnlyByItsPlansInstance() {
        let schedule = decided(plan)
        #expect(schedule.decided.count == 1)
        var lifecycle = UpgradeLifecycle<String>()
        #expect(lifecycle.instance(for: 39, in: schedule, current: "genesis") == "genesis")
        #expect(lifecycle.instance(for: 40, in: schedule, current: "genesis") == nil, "not prepared: nothing applies height 40")
        lifecycle.didPrepare(plan, "v2")
        #expect(lifecycle.instance(for: 39, in: schedule, current: "genesis") == "genesis")
        #expect(lifecycle.instance(for: 40, in: schedule, current: "genesis") == "v2")
        // V-2: after the switch, the running plan's instance is the current one.
        lifecycle.installed(plan, switched: true)
        #expect(lifecycle.prepared == nil && lifecycle.running == plan)
        #expect(lifecycle.instance(for: 41, in: schedule, current: "v2") == "v2")
        #expect(lifecycle.instance(for: 39, in: schedule, current: "v2") == nil, "the old plugin's heights are not the new one's")
    }

    /// The next plan is tried at most once a second (a missing file is looked
    /// for, not hammered), at once when forced, never again once prepared.
    @Test func theNextPlanIsTriedOnceASecondUntilPrepared() {
        let schedule = decided(plan)
        var lifecycle = UpgradeLifecycle<String>()
        let first = lifecycle.planToPrepare(in: schedule, above: 10, nowMs: 5_000)
        #expect(first == plan)
        lifecycle.notReady("no such file")
        let tooSoon = lifecycle.planToPrepare(in: schedule, above: 10, nowMs: 5_500)
        let forced = lifecycle.planToPrepare(in: schedule, above: 10, nowMs: 5_500, force: true)
        let aSecondLater = lifecycle.planToPrepare(in: schedule, above: 10, nowMs: 6_600)
        #expect(tooSoon == nil && forced == plan && aSecondLater == plan)
        #expect(lifecycle.problem == "no such file")
        lifecycle.didPrepare(plan, "v2")
        #expect(lifecycle.problem == nil)
        let again = lifecycle.planToPrepare(in: schedule, above: 10, nowMs: 9_000)
        let past = lifecycle.planToPrepare(in: schedule, above: 40, nowMs: 9_000)
        #expect(again == nil, "prepared already")
        #expect(past == nil, "its height is past")
    }

    /// V-3: one wait at a time; the plugin's arrival makes it the prepared
    /// instance and ends the wait.
    @Test func aMissingPluginIsWaitedForUntilItArrives() {
        let schedule = decided(plan)
        var lifecycle = UpgradeLifecycle<String>()
        let waits = lifecycle.waitFor(plan, reason: "missing")
        let waitsTwice = lifecycle.waitFor(plan, reason: "again")
        #expect(waits && !waitsTwice)
        #expect(lifecycle.awaiting == plan && lifecycle.problem == "missing")
        lifecycle.arrived("v2")
        #expect(lifecycle.awaiting == nil && lifecycle.problem == nil)
        #expect(lifecycle.instance(for: 40, in: schedule, current: "genesis") == "v2")
    }
}
