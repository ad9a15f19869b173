import ArgumentParser
import BatonConsole
import PluginHost

public struct PluginCallBench: ParsableCommand {
    public static let configuration = CommandConfiguration(
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

    @Option(name: .customLong("plugin-dir"), help: "Folder of plugin .so files (default: ./plugins, then the folder of this binary).")
    var pluginDirectory: String?

    public init() {}

    public func run() throws {
        do {
            let library = try PluginLocator.standard(pluginDirectory: pluginDirectory).load(plugin)
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
