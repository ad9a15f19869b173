import Consensus
import Simulation
import BatonTestSupport
import Testing

/// One simulated run, on a thread of its own (`offThePool`). A run is
/// tenths of a second of CPU alone and many seconds in a loaded suite: on the
/// cooperative pool, two of them stall every test that waits on a timer or a
/// socket (CI saw a transport's 300 ms handshake deadline go unreported for
/// 30 s while simulations held both of the pool's threads).
func run(_ scenario: String, nodes: Int = 4, views: UInt64 = 40, seed: UInt64, broken: Bool = false,
         brokenAppAgreement: Bool = false, election: LeaderElectionRule = .standard,
         localReputation: Bool = false) async -> SimulationReport {
    await offThePool {
        runBlocking(scenario, nodes: nodes, views: views, seed: seed, broken: broken, brokenAppAgreement: brokenAppAgreement,
                    election: election, localReputation: localReputation)
    }
}

/// `run`, blocking the calling thread: only inside `offThePool`, for a batch of runs on one thread.
func runBlocking(_ scenario: String, nodes: Int = 4, views: UInt64 = 40, seed: UInt64, broken: Bool = false,
                 brokenAppAgreement: Bool = false, election: LeaderElectionRule = .standard,
                 localReputation: Bool = false) -> SimulationReport {
    var parameters = Simulator.Parameters()
    parameters.nodes = nodes
    parameters.byzantine = (nodes - 1) / 3
    parameters.views = views
    parameters.scenario = Scenario.named(scenario)!
    parameters.breakHonestSafetyForTesting = broken
    parameters.breakAppAgreementForTesting = brokenAppAgreement
    parameters.leaderElection = election
    parameters.localReputationForTesting = localReputation
    var simulator = Simulator(parameters, seed: seed)
    return simulator.run()
}

@Suite(.blockingWork) struct SimulationTests {
    @Test func theSameSeedGivesTheSameTraceByteForByte() async {
        for scenario in ["chaos", "crash", "twins"] {
            let a = await run(scenario, nodes: 7, seed: 11)
            let b = await run(scenario, nodes: 7, seed: 11)
            #expect(a.traceHash == b.traceHash)
            #expect(a.events == b.events && a.blocksFinalized == b.blocksFinalized)
            #expect(await run(scenario, nodes: 7, seed: 12).traceHash != a.traceHash)
        }
    }

    /// A simulator that never reports anything proves nothing: let honest
    /// nodes vote twice in a view and an equivocating leader must expose it.
    @Test func theHarnessCatchesABrokenSafetyRule() async {
        var caught: SimulationReport?
        for seed in 1...20 as ClosedRange<UInt64> {
            let report = await run("equivocate", seed: seed, broken: true)
            if !report.passed { caught = report; break }
        }
        guard let caught else {
            Issue.record("20 seeds with a broken voting rule and no violation found")
            return
        }
        #expect(caught.violations.contains { $0.hasPrefix("double vote") || $0.hasPrefix("agreement") })
        #expect(!caught.trace.isEmpty)
        // And the same seeds with the rule intact are clean.
        #expect(await run("equivocate", seed: caught.seed).passed)
    }

    @Test func faultsReallyHappen() async {
        let crash = await run("crash", seed: 3)
        #expect(crash.crashes > 0 && crash.passed)
        let equivocation = await offThePool { (1...5 as ClosedRange<UInt64>).map { runBlocking("equivocate", seed: $0) } }
        #expect(equivocation.contains { $0.evidence > 0 })
        let forged = await run("bad-signature", seed: 3)
        #expect(forged.invalidDropped > 0 && forged.passed)
        let spam = await run("spam", seed: 3)
        #expect(spam.passed && spam.blocksFinalized > 10)
    }

    /// Regression (a 14,000-run sweep from seed 500000): a twin (two nodes
    /// with one key) proposed, and the copy the simulated network routed block
    /// requests to did not hold the block. Block sync always asked the
    /// proposer, so members 0 and 6 stayed at height 9 forever. Retries now
    /// ask the other members in turn.
    @Test func aLaggingNodeWhoseProposerWithholdsBlocksStillCatchesUp() async {
        let report = await run("chaos", nodes: 7, views: 100, seed: 500_676)
        #expect(report.passed, "\(report.violations)")
        #expect(report.livenessViolations == 0 && report.blocksFinalized > 40)
    }

    /// Seed 7,100,161 of the 10,000-run sweep (2026-12-07): three of ten
    /// members crash at view 35, and the reputation anchor — finalized
    /// history, five views behind — still calls them active; with every
    /// other view led by a dead member no 2-chain forms, the anchor cannot
    /// advance, and one dead member was drawn 8 times in 17 views until LR-8
    /// (a stale anchor, 20 views) fell back to the stake draw: 777 ‰ of the
    /// views after the fault finalized their own block, under the 800 ‰
    /// bound. Safe throughout; the shortfall is a known issue of the election
    /// (kept here so its fix shows: this test then fails until the known
    /// issue is removed).
    @Test func threeCrashedOfTenStallTheReputationAnchorForSeventeenViews() async {
        let report = await run("crashed", nodes: 10, views: 100, seed: 7_100_161)
        #expect(report.safetyViolations == 0 && report.blocksFinalized >= 70, "\(report.violations)")
        withKnownIssue("LR: a stalled anchor keeps drawing crashed members until LR-8") {
            #expect(report.livenessViolations == 0, "\(report.violations)")
        }
    }

    /// Liveness failures are not counted as safety failures.
    @Test func aReportCountsSafetyAndLivenessApart() async {
        let broken = await run("equivocate", nodes: 4, views: 40, seed: 3, broken: true)
        #expect(broken.safetyViolations + broken.livenessViolations == broken.violations.count)
        #expect(broken.violations.filter { $0.hasPrefix("liveness") }.count == broken.livenessViolations)
    }

    /// The CI sweep: every scenario × 12 seeds for each of n = 4, 7 and 10:
    /// 900 runs (the three sizes run in parallel).
    @Test(arguments: [4, 7, 10])
    func sweepOfEveryScenarioHasNoViolation(nodes: Int) async {
        let reports = await offThePool {
            (1...12 as ClosedRange<UInt64>).flatMap { seed in
                Scenario.all.map { runBlocking($0.name, nodes: nodes, views: 30, seed: 1_000 + seed * 10 + UInt64(nodes)) }
            }
        }
        let runs = reports.count
        let views = reports.reduce(UInt64(0)) { $0 + $1.views }
        let blocks = reports.reduce(0) { $0 + $1.blocksFinalized }
        let failures = reports.filter { !$0.passed }.map { "seed \($0.seed) \($0.scenario) n=\(nodes): \($0.violations)" }
        print("simulation sweep n=\(nodes): \(runs) runs, \(views) views, \(blocks) blocks finalized, \(failures.count) with violations")
        #expect(runs == 12 * Scenario.all.count)
        #expect(failures.isEmpty, "\(failures.prefix(3))")
    }
}
