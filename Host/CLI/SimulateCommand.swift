import ArgumentParser
import Consensus
import Simulation

#if canImport(Glibc)
import Glibc
#endif

struct SimulateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate",
        abstract: "Run consensus cores in one process over a simulated network, with faults and Byzantine members.",
        discussion: """
            Every run is determined by (scenario, nodes, byzantine, views, seed): the same seed \
            gives the same trace hash. Exits non-zero on any safety or liveness violation and \
            prints the seed and the events leading to it; --seed X reruns exactly that run.
            Scenarios: \(Scenario.all.map(\.name).joined(separator: ", ")), or all.
            """)

    @Option(help: "Committee size (4...64). With --mix, ignored.") var nodes = 4
    @Option(help: "Byzantine members (f < n/3). Default: the most the committee tolerates.") var byzantine: Int?
    @Option(help: "Seeds to run (per scenario).") var seeds = 10
    @Option(help: "Views per run.") var views: UInt64 = 60
    @Option(help: "First seed (a single run with --seeds 1).") var seed: UInt64 = 1
    @Option(help: "A scenario name, or all.") var scenario = "all"
    @Flag(help: "Cycle the committee size through 4, 7 and 10 across seeds.") var mix = false
    @Flag(help: "Print every event of every run (for one seed).") var trace = false
    @Option(help: "Leader election: reputation (the default) or weighted-random (for A/B).") var leaderElection = "reputation"

    func run() throws {
        let scenarios: [Scenario]
        if scenario == "all" {
            scenarios = Scenario.all
        } else if let one = Scenario.named(scenario) {
            scenarios = [one]
        } else {
            throw ValidationError("unknown scenario '\(scenario)'; one of: \(Scenario.all.map(\.name).joined(separator: ", ")), all")
        }
        guard (4...64).contains(nodes) else { throw ValidationError("--nodes must be 4...64") }
        guard let election = LeaderElectionRule(name: leaderElection) else {
            throw ValidationError("--leader-election is one of \(LeaderElectionRule.names.joined(separator: ", ")), not '\(leaderElection)'")
        }
        var rates: [String: (runs: Int, sum: Int, min: Int)] = [:]
        let clock = ContinuousClock()
        let start = clock.now
        var totals = (runs: 0, views: UInt64(0), blocks: 0, safety: 0, liveness: 0, failedRuns: 0, longestViews: UInt64(0),
                      appRefusals: 0, divergenceHalts: 0, epochSwitches: 0)
        var lastProgress = clock.now
        let runsTotal = scenarios.count * seeds
        for s in 0..<seeds {
            for scenario in scenarios {
                var parameters = Simulator.Parameters()
                parameters.nodes = mix ? [4, 7, 10][s % 3] : nodes
                parameters.byzantine = min(byzantine ?? (parameters.nodes - 1) / 3, (parameters.nodes - 1) / 3)
                parameters.views = views
                parameters.scenario = scenario
                parameters.leaderElection = election
                var simulator = Simulator(parameters, seed: seed + UInt64(s))
                simulator.printTrace = trace
                let report = simulator.run()
                totals.runs += 1
                totals.views += report.views
                totals.blocks += report.blocksFinalized
                totals.longestViews = max(totals.longestViews, report.views)
                totals.appRefusals += report.appDisagreements
                totals.divergenceHalts += report.divergenceHalts
                totals.epochSwitches += report.epochSwitches
                if let rate = report.finalizingPermille {
                    let known = rates[report.scenario] ?? (0, 0, 1_000)
                    rates[report.scenario] = (known.runs + 1, known.sum + rate, min(known.min, rate))
                }
                if seeds * scenarios.count <= 20 || !report.passed {
                    print("seed \(report.seed) \(report.scenario) n=\(report.nodes) f=\(report.byzantine): views \(report.views), blocks \(report.blocksFinalized), events \(report.events), simulated \(report.simulatedMs) ms, epoch \(report.epochReached), trace \(report.traceHash.prefix(16))")
                }
                if !report.passed {
                    totals.safety += report.safetyViolations
                    totals.liveness += report.livenessViolations
                    totals.failedRuns += 1
                    for violation in report.violations { print("  VIOLATION \(violation)") }
                    print("  reproduce: baton simulate --scenario \(report.scenario) --nodes \(report.nodes) --byzantine \(report.byzantine) --views \(views) --seeds 1 --seed \(report.seed)")
                    for line in simulator.nodeStates() { print("  \(line)") }
                    print("  last events:")
                    for line in report.trace.suffix(25) { print("    \(line)") }
                }
                if lastProgress.duration(to: clock.now) > .seconds(2) {
                    lastProgress = clock.now
                    let seconds = Self.seconds(start.duration(to: clock.now))
                    let line = "progress: \(totals.runs)/\(runsTotal) runs, \(Int(Double(totals.runs) / seconds)) runs/s, \(Int(Double(totals.views) / seconds)) views/s\n"
                    line.withCString { _ = write(STDERR_FILENO, $0, strlen($0)) }
                }
            }
        }
        let seconds = Self.seconds(start.duration(to: clock.now))
        print("seeds run: \(totals.runs) (\(seeds) seeds × \(scenarios.count) scenarios)")
        print("views simulated: \(totals.views) (longest run \(totals.longestViews) views)")
        print("views per second: \(Int(Double(totals.views) / max(seconds, 0.001)))")
        print("blocks finalized: \(totals.blocks)")
        print("runs failed: \(totals.failedRuns)")
        print("safety violations: \(totals.safety)")
        print("liveness violations: \(totals.liveness)")
        print("proposals refused for a wrong app state hash: \(totals.appRefusals)")
        print("divergent apps that stopped themselves: \(totals.divergenceHalts)")
        print("committee switches (per node): \(totals.epochSwitches)")
        for (name, rate) in rates.sorted(by: { $0.key < $1.key }) {
            print("views finalizing their own block after the fault (\(name)): mean \(rate.sum / rate.runs) ‰, min \(rate.min) ‰ over \(rate.runs) runs")
        }
        if totals.failedRuns > 0 { throw ExitCode.failure }
    }

    static func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }
}
