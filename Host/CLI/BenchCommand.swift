import ArgumentParser
import PluginHost

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Benchmarks. Figures vary between machines; compare on one machine.",
        subcommands: [ClusterBench.self, SyncBench.self, PluginCall.self, CryptoBench.self, CodecBench.self, ConsensusBench.self, StorageBench.self])

    struct PluginCall: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "plugin-call",
            abstract: "Cost of one call into a plugin through the C ABI, in nanoseconds.")

        @Option(help: "Plugin to call (name or path).")
        var plugin = "kvstore"

        @Option(help: "A transaction to pass to check_tx.")
        var transaction = "key=value"

        @Option(help: "Calls per round.")
        var calls = 200_000

        @Option(help: "Rounds; the median round is reported.")
        var rounds = 15

        @OptionGroup var location: PluginsCommand.Location

        func run() throws {
            do {
                let library = try location.locator.load(plugin)
                let app = try PluginApplication(library: library, store: InMemoryAppStateStore())
                let results = try PluginCallBenchmark.run(app, transaction: Array(transaction.utf8),
                                                          callsPerRound: calls, rounds: rounds)
                print("plugin \(library.info.name) \(library.info.version) (\(library.path))")
                var rows = [["CALL", "NS/CALL (MEDIAN)", "NS/CALL (MIN)"]]
                for r in results {
                    rows.append([r.name, format(r.nanosecondsPerCallMedian), format(r.nanosecondsPerCallMin)])
                }
                print(Table.render(rows))
                print("\(rounds) rounds × \(calls) calls each")
            } catch let error as PluginLoadError {
                printError("error: \(error)")
                throw ExitCode.failure
            } catch let error as ApplicationError {
                printError("error: \(error)")
                throw ExitCode.failure
            }
        }

        private func format(_ value: Double) -> String {
            let tenths = Int((value * 10).rounded())
            return "\(tenths / 10).\(tenths % 10)"
        }
    }
}
