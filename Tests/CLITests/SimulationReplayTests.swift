import BatonTestSupport
import Simulation
import Testing

/// A simulator seed replays identically in another process. Swift seeds
/// `Dictionary` and `Set` hashing per process, so a choice the core made in
/// their iteration order would replay in this process and diverge in the
/// next: two `baton simulate` processes and this one must print one trace hash.
@Suite struct SimulationReplayTests {
    @Test(arguments: ["chaos", "twins", "crash"])
    func theSameSeedGivesTheSameTraceHashInSeparateProcesses(scenario: String) async throws {
        let arguments = ["simulate", "--scenario", scenario, "--nodes", "7", "--views", "60", "--seeds", "1", "--seed", "4242"]
        let first = try await runProcess("baton", arguments)
        let second = try await runProcess("baton", arguments)
        #expect(first.status == 0 && second.status == 0, "\(first.output.suffix(400))")
        // "seed 4242 chaos n=7 f=2: views …, trace <16 hex digits>"
        let hash = { (run: ProcessRun) in
            run.stdout.split(separator: "\n").first { $0.hasPrefix("seed ") }?.split(separator: " ").last.map(String.init)
        }
        let firstHash = try #require(hash(first), "no trace hash in: \(first.stdout.prefix(300))")
        #expect(hash(second) == firstHash)

        var parameters = Simulator.Parameters()
        parameters.nodes = 7
        parameters.byzantine = 2
        parameters.views = 60
        parameters.scenario = try #require(Scenario.named(scenario))
        let inProcess = await offThePool { [parameters] in
            var simulator = Simulator(parameters, seed: 4242)
            return simulator.run().traceHash
        }
        #expect(String(inProcess.prefix(16)) == firstHash)
    }
}
