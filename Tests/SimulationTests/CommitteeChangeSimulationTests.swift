import Consensus
import Simulation
import BatonTestSupport
import Testing

/// A committee-change run, off the cooperative pool (see `run` in SimulationTests).
private func run(_ scenario: String, nodes: Int = 4, views: UInt64 = 100, seed: UInt64,
                 acceptOldCommittee: Bool = false) async -> SimulationReport {
    await offThePool { runBlocking(scenario, nodes: nodes, views: views, seed: seed, acceptOldCommittee: acceptOldCommittee) }
}

private func runBlocking(_ scenario: String, nodes: Int, views: UInt64, seed: UInt64,
                         acceptOldCommittee: Bool) -> SimulationReport {
    var parameters = Simulator.Parameters()
    parameters.nodes = nodes
    parameters.byzantine = (nodes - 1) / 3
    parameters.views = views
    parameters.scenario = Scenario.named(scenario)!
    parameters.acceptOldCommitteeForTesting = acceptOldCommittee
    var simulator = Simulator(parameters, seed: seed)
    return simulator.run()
}

/// Committee changes in the simulator (EP-1 … EP-4): joins, leaves,
/// reweights and key rotations, with crashes, partitions and Byzantine members.
@Suite(.blockingWork) struct CommitteeChangeSimulationTests {
    /// Every planned change happens on every node, and nothing is violated:
    /// the checker applies each epoch's committee to its certificates.
    @Test(arguments: ["join", "leave", "reweight", "rotate", "committee"])
    func everyNodeSwitchesAndTheCheckerFindsNothing(scenario: String) async {
        let changes = Scenario.named(scenario)!.committeeChanges.count
        for seed in 1...4 as ClosedRange<UInt64> {
            let report = await run(scenario, nodes: seed % 2 == 0 ? 7 : 4, seed: seed)
            #expect(report.passed, "seed \(seed): \(report.violations.prefix(3))")
            #expect(report.epochReached == UInt64(changes), "seed \(seed) reached epoch \(report.epochReached)")
            // Every node switches at every change (a Byzantine one too).
            #expect(report.epochSwitches >= changes * report.nodes, "seed \(seed): \(report.epochSwitches) switches")
            #expect(report.blocksFinalized > 40)
        }
    }

    /// The mutation the checker must catch: nodes that, after a key
    /// rotation, still accept what the old key signs in the old epoch's
    /// domain. The leaked key's votes then enter certificates of the new
    /// epoch — which its committee never signed.
    @Test func theCheckerCatchesAnOldCommitteeAcceptedAfterTheSwitch() async {
        let caught = await offThePool {
            (1...20 as ClosedRange<UInt64>).lazy
                .map { runBlocking("rotate", nodes: 4, views: 100, seed: $0, acceptOldCommittee: true) }
                .first { !$0.passed }
        }
        guard let caught else {
            Issue.record("20 seeds accepting the old committee and no violation found")
            return
        }
        #expect(caught.violations.contains { $0.hasPrefix("certificate") }, "\(caught.violations)")
        // The same seed with EP-2 intact is clean: the leaked key's votes are refused.
        let intact = await run("rotate", seed: caught.seed)
        #expect(intact.passed, "\(intact.violations)")
        #expect(intact.invalidDropped > 0)
    }
}
