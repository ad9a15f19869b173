import Simulation
import BatonTestSupport
import Testing

/// The app-agreement rules (AA-1..AA-3) under Byzantine members that lie
/// about their app's state, or run a divergent app.
@Suite(.blockingWork) struct AppAgreementSimulationTests {
    /// A Byzantine leader whose proposals carry a wrong executed state hash
    /// gets no honest vote; the chain goes on under the honest leaders.
    @Test func proposalsWithAWrongStateHashGetNoHonestVote() async {
        for (seed, nodes) in [(1, 4), (2, 7), (3, 10)] as [(UInt64, Int)] {
            let report = await run("bad-state-hash", nodes: nodes, views: 60, seed: seed)
            #expect(report.passed, "\(report.violations)")
            #expect(report.appDisagreements > 0, "the Byzantine leaders' lies were never seen (seed \(seed))")
            #expect(report.blocksFinalized > 20)
        }
    }

    /// A member whose app diverges stops itself (AA-3); the others finalize.
    @Test func aDivergentAppStopsItsOwnNodeOnly() async {
        for (seed, nodes) in [(1, 4), (2, 7)] as [(UInt64, Int)] {
            let report = await run("diverged-app", nodes: nodes, views: 60, seed: seed)
            #expect(report.passed, "\(report.violations)")
            #expect(report.divergenceHalts == (nodes - 1) / 3, "every divergent member stops itself")
            #expect(report.blocksFinalized > 20)
        }
    }

    /// The checker is not blind: honest nodes that vote without checking the
    /// executed state certify the liar's blocks, and it says so — either as
    /// a finalized block with a wrong state, or as an honest node that AA-3
    /// then stops (the quorum "certified" the lie).
    @Test func theCheckerCatchesVotesThatIgnoreTheAppState() async {
        let caught = await offThePool {
            (1...10 as ClosedRange<UInt64>).lazy
                .map { runBlocking("bad-state-hash", seed: $0, brokenAppAgreement: true) }
                .first { !$0.passed }
        }
        guard let caught else {
            Issue.record("10 seeds of votes ignoring the app state and no violation found")
            return
        }
        #expect(caught.violations.contains { $0.hasPrefix("app agreement") || $0.contains("app diverged") }, "\(caught.violations)")
        #expect(await run("bad-state-hash", seed: caught.seed).passed)
    }
}

extension AppAgreementSimulationTests {
    /// Regression (a 10,080-run sweep from seed 800000): member 3 restarted
    /// with a finalized height its recovered highest QC did not prove, led a
    /// view claiming the state at that height, and the others — who could not
    /// finalize it from the proposal — waited for it in vain; it also
    /// remembered only its head's hash and refused to vote for claims below
    /// it. Proposers now claim the height the block's ancestry proves final,
    /// and a restarted node recovers its window of state hashes.
    @Test func aRestartedLeaderClaimsOnlyWhatItsProposalProves() async {
        for seed in [800024, 800135] as [UInt64] {
            let report = await run("chaos", nodes: 4, views: 100, seed: seed)
            #expect(report.passed, "seed \(seed): \(report.violations)")
        }
    }
}
