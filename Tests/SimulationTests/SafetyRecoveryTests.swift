import Consensus
import Simulation
import BatonTestSupport
import Testing

/// SR-R in the simulator: members whose data directory is wiped restart new
/// and must not sign again in a view they signed in (see `SafetyRecovery`).
@Suite(.blockingWork) struct SafetyRecoverySimulationTests {
    /// A run of the "wipe" scenario, off the cooperative pool (see `run`).
    func wipeRun(seed: UInt64, nodes: Int = 4, skipRecovery: Bool) async -> SimulationReport {
        await offThePool { Self.wipeRunBlocking(seed: seed, nodes: nodes, skipRecovery: skipRecovery) }
    }

    static func wipeRunBlocking(seed: UInt64, nodes: Int, skipRecovery: Bool) -> SimulationReport {
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
    @Test func withoutTheRuleAWipedMemberSignsTwiceAndTheCheckerCatchesIt() async {
        let caught = await offThePool {
            (1...60 as ClosedRange<UInt64>).lazy
                .map { Self.wipeRunBlocking(seed: $0, nodes: 4, skipRecovery: true) }
                .first { $0.safetyViolations > 0 }
        }
        guard let caught else {
            Issue.record("60 seeds of wiped members signing without SR-R and no double vote found")
            return
        }
        #expect(caught.violations.contains { $0.hasPrefix("double vote") }, "\(caught.violations)")
        let fixed = await wipeRun(seed: caught.seed, skipRecovery: false)
        #expect(fixed.passed, "\(fixed.violations)")
        #expect(fixed.crashes > 0)
    }

    /// Every member starts new (as real nodes from new data directories):
    /// the chain still starts (the genesis exception), and wiped members
    /// rejoin and sign again.
    @Test(arguments: [4, 7]) func newAndWipedMembersRecoverAndTheChainRuns(nodes: Int) async {
        let reports = await offThePool {
            (1...10 as ClosedRange<UInt64>).map { Self.wipeRunBlocking(seed: 700 + $0, nodes: nodes, skipRecovery: false) }
        }
        for report in reports {
            #expect(report.passed, "seed \(report.seed): \(report.violations)")
            #expect(report.crashes > 0 && report.blocksFinalized > 20, "seed \(report.seed): \(report.crashes) wipes, \(report.blocksFinalized) blocks")
        }
    }
}
