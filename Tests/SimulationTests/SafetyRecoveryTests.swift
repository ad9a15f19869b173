import Consensus
import Simulation
import BatonTestSupport
import Testing

/// SR-R in the simulator: members whose data directory is wiped restart new
/// and must not sign again in a view they signed in (see `SafetyRecovery`).
@Suite struct SafetyRecoverySimulationTests {
    func wipeRun(seed: UInt64, nodes: Int = 4, skipRecovery: Bool) -> SimulationReport {
        var parameters = Simulator.Parameters()
        parameters.nodes = nodes
        parameters.byzantine = 0
        parameters.views = 60
        parameters.scenario = Scenario.named("wipe")!
        parameters.skipSafetyRecoveryForTesting = skipRecovery
        var simulator = Simulator(parameters, seed: seed)
        return simulator.run()
    }

    /// Without the rule, a wiped member signs again in a view it signed in,
    /// and the checker sees it; with it, the same seeds are clean.
    @Test func withoutTheRuleAWipedMemberSignsTwiceAndTheCheckerCatchesIt() {
        var caught: SimulationReport?
        for seed in 1...60 as ClosedRange<UInt64> {
            let report = wipeRun(seed: seed, skipRecovery: true)
            if report.safetyViolations > 0 { caught = report; break }
        }
        guard let caught else {
            Issue.record("60 seeds of wiped members signing without SR-R and no double vote found")
            return
        }
        #expect(caught.violations.contains { $0.hasPrefix("double vote") }, "\(caught.violations)")
        let fixed = wipeRun(seed: caught.seed, skipRecovery: false)
        #expect(fixed.passed, "\(fixed.violations)")
        #expect(fixed.crashes > 0)
    }

    /// Every member starts new (as real nodes from new data directories):
    /// the chain still starts (the genesis exception), and wiped members
    /// rejoin and sign again.
    @Test(arguments: [4, 7]) func newAndWipedMembersRecoverAndTheChainRuns(nodes: Int) {
        for seed in 1...10 as ClosedRange<UInt64> {
            let report = wipeRun(seed: 700 + seed, nodes: nodes, skipRecovery: false)
            #expect(report.passed, "seed \(report.seed): \(report.violations)")
            #expect(report.crashes > 0 && report.blocksFinalized > 20, "seed \(report.seed): \(report.crashes) wipes, \(report.blocksFinalized) blocks")
        }
    }
}
