import Consensus
import Simulation
import BatonTestSupport
import Testing

/// LR-7: faults a leader can have, checked for a rate of service, not only
/// eventual progress; LR-2: leaders agree, and the checker sees it when they
/// do not.
@Suite(.blockingWork) struct LeaderReputationSimulationTests {
    /// Each fault keeps at least its stated share of views finalizing their
    /// own block once the detection window has passed.
    @Test(arguments: ["crashed", "flapping", "no-proposals", "withhold"])
    func aFaultyLeaderCostsViewsNotTheRate(scenario: String) async throws {
        let reports = await offThePool { (1...4 as ClosedRange<UInt64>).map { runBlocking(scenario, views: 150, seed: 7_000 + $0) } }
        for report in reports {
            #expect(report.passed, "seed \(report.seed): \(report.violations)")
            let rate = try #require(report.finalizingPermille, "the run was long enough to measure a rate")
            #expect(rate >= Scenario.named(scenario)!.finalizingPermilleMin!)
        }
    }

    /// The rate check is not vacuous: the weighted-random draw alone keeps
    /// electing a crashed member, and a run falls below the bound.
    @Test func theRateCheckCatchesTheDrawWithoutReputation() async {
        let reports = await offThePool {
            (1...6 as ClosedRange<UInt64>).map { runBlocking("crashed", views: 150, seed: 7_100 + $0, election: .weightedRandom) }
        }
        #expect(reports.contains { $0.violations.contains { $0.hasPrefix("liveness rate") } })
        #expect(reports.allSatisfy { $0.safetyViolations == 0 })
        let withReputation = await offThePool { (1...6 as ClosedRange<UInt64>).map { runBlocking("crashed", views: 150, seed: 7_100 + $0) } }
        let violations = withReputation.flatMap(\.violations)
        #expect(violations.isEmpty, "\(violations)")
    }

    /// LR-2 mutation: reputation from local observations (the timeouts each
    /// node saw) makes nodes with the same history elect different leaders.
    @Test func theCheckerCatchesReputationFromLocalObservations() async throws {
        let caught = await offThePool {
            (1...10 as ClosedRange<UInt64>).lazy.map { runBlocking("crashed", views: 100, seed: 7_200 + $0, localReputation: true) }
                .first { !$0.passed }
        }
        let report = try #require(caught, "10 seeds with local reputation and no violation")
        #expect(report.violations.contains { $0.hasPrefix("leader agreement") }, "\(report.violations)")
        #expect(await run("crashed", views: 100, seed: report.seed).passed)
    }

    /// A failing seed of the 2026-12-07 sweep (first seed 5,100,000, 11,375
    /// runs: 0 safety violations, 11 `no-proposals` runs below the 800 ‰
    /// rate bound at 740–782 ‰). The trace (`--trace`) shows why: the member
    /// that never proposes is not elected while failing, so it fails no
    /// more; its failures age out of the window (10·n blocks), it is active
    /// again, and it is elected in several views in a row while no block
    /// commits — the standings the election reads come from committed
    /// history (LR-1) and stay frozen until a block commits. A known issue
    /// of the rehabilitation rule (LR-4/LR-5), kept here until it is fixed:
    /// this test then fails, saying the known issue is gone.
    @Test func aNeverProposingMemberRehabilitatedIntoARunOfFailedViews() async {
        let report = await offThePool { runBlocking("no-proposals", views: 60, seed: 5_100_005) }
        #expect(report.safetyViolations == 0)
        withKnownIssue("LR rehabilitation: a member whose failures aged out is elected in a run of failed views") {
            #expect(report.passed, "\(report.violations)")
        }
    }

    /// With every member up the election is the stake draw itself (all
    /// standings active): the happy path elects exactly as before.
    @Test func withEveryoneUpLeadersAreTheStakeDraw() async {
        let a = await offThePool { runBlocking("happy", nodes: 7, views: 80, seed: 7_300) }
        let b = await offThePool { runBlocking("happy", nodes: 7, views: 80, seed: 7_300, election: .weightedRandom) }
        #expect(a.passed && b.passed)
        #expect(a.traceHash == b.traceHash)
    }
}
