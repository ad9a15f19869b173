import ArgumentParser
import BatonConsole
import Foundation
import Node
import NodeHTTP
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

    @Option(help: "A typed function to measure (ABI 1.3); default: the plugin's first, if it has any (kvstore: valid_key).")
    var function: String?

    @Option(help: "Its arguments as a JSON array (default for kvstore's valid_key: [\"key\"]).")
    var args: String?

    @Option(help: "Also time the function end to end through a running node's HTTP API at HOST:PORT (POST /v1/apps/call, one keep-alive connection).")
    var api: String?

    @Option(help: "HTTP calls (with --api).")
    var httpCalls = 5_000

    @Option(help: "Also time check_tx, validate_block and query with the plugin in its own process (plugin_isolation = \"process\"), this many calls each.")
    var processCalls = 20_000

    public init() {}

    public func run() throws {
        do {
            let library = try PluginLocator.standard(pluginDirectory: pluginDirectory).load(plugin)
            let app = try PluginApplication(library: library, store: InMemoryAppStateStore())
            let chosen = function ?? (library.functions.contains { $0.name == "valid_key" } ? "valid_key" : library.functions.first?.name)
            let body = args ?? (chosen == "valid_key" ? #"["key"]"# : "[]")
            var typed: (name: String, arguments: [FunctionValue])?
            if let chosen {
                guard let declared = library.functions.first(where: { $0.name == chosen }) else {
                    printError("error: \(library.info.name) has no function '\(chosen)'")
                    throw ExitCode.failure
                }
                do { typed = (chosen, try FunctionJSON.arguments(Array(body.utf8), for: declared, bytes: .hex)) } catch {
                    printError("error: --args: \(error)")
                    throw ExitCode.failure
                }
            }
            let results = try PluginCallBenchmark.run(app, transaction: Array(transaction.utf8),
                                                      callsPerRound: calls, rounds: rounds, function: typed)
            print("plugin \(library.info.name) \(library.info.version) (\(library.path))")
            var rows = [["CALL", "NS/CALL (MEDIAN)", "NS/CALL (MIN)"]]
            for r in results {
                rows.append([r.name, format(r.nanosecondsPerCallMedian), format(r.nanosecondsPerCallMin)])
            }
            print(Table.render(rows))
            print("\(rounds) rounds × \(calls) calls each")
            if processCalls > 0, let executable = PluginLocator.executablePath() {
                try processRound(library: library, executable: executable)
            }
            if let api, let name = typed?.name {
                try httpRound(api: api, function: name, body: Array(body.utf8))
            }
        } catch let error as PluginLoadError {
            printError("error: \(error)")
            throw ExitCode.failure
        } catch let error as ApplicationError {
            printError("error: \(error)")
            throw ExitCode.failure
        }
    }

    /// The same calls through `plugin_isolation = "process"`: a round trip
    /// over the Unix socket to `baton plugin-host` per call.
    func processRound(library: PluginLibrary, executable: String) throws {
        let app = try PluginIsolation.process(executable: executable).application(
            library: library, config: [], store: InMemoryAppStateStore(), budgets: PluginBudgets(), logger: .init(label: "bench"),
            onCompletion: { _ in })
        let tx = Array(transaction.utf8)
        let context = BlockContext(height: 1, view: 1, timestampMs: 0, parentID: [UInt8](repeating: 0, count: 32),
                                   proposer: [UInt8](repeating: 2, count: 33))
        var payload: [UInt8] = []
        if case .ready(let produced, _) = try app.produceBlock(context, candidates: [tx]) { payload = produced }
        func time(_ body: () -> Void) -> Double {
            let start = ContinuousClock.now
            for _ in 0..<processCalls { body() }
            let elapsed = ContinuousClock.now - start
            return (Double(elapsed.components.seconds) * 1e9 + Double(elapsed.components.attoseconds) / 1e9) / Double(processCalls)
        }
        let rows = [
            ["check_tx, plugin in its own process", format(time { _ = try? app.checkTransaction(tx) })],
            ["validate_block, plugin in its own process", format(time { _ = try? app.validateBlock(context, payload: payload) })],
            ["query, plugin in its own process", format(time { _ = try? app.query([]) })],
        ]
        print(Table.render([["CALL", "NS/CALL (MEAN)"]] + rows))
        print("\(processCalls) calls each over the Unix socket (baton plugin-host)")
    }

    /// Sequential calls over one keep-alive connection: the latency a client
    /// sees, HTTP parsing, JSON and the node's actor included.
    private func httpRound(api: String, function: String, body: [UInt8]) throws {
        let connection: HTTPConnection
        do { connection = try HTTPConnection(api: api) } catch {
            printError("error: \(error)")
            throw ExitCode.failure
        }
        var micros: [Double] = []
        let clock = ContinuousClock()
        for _ in 0..<max(httpCalls, 1) {
            let start = clock.now
            let reply = try connection.request("POST", "/v1/apps/call/\(function)", body: body, contentType: "application/json")
            let elapsed = start.duration(to: clock.now)
            guard reply.status == 200 else {
                printError("error: HTTP \(reply.status): \(String(decoding: reply.body, as: UTF8.self))")
                throw ExitCode.failure
            }
            micros.append(Double(elapsed.components.attoseconds) / 1e12 + Double(elapsed.components.seconds) * 1e6)
        }
        micros.sort()
        func at(_ q: Double) -> String { format(micros[min(micros.count - 1, Int(Double(micros.count) * q))]) }
        print(Table.render([["HTTP POST /v1/apps/call/\(function)", "P50 µs", "P99 µs", "CALLS"],
                            ["one keep-alive connection, sequential", at(0.5), at(0.99), "\(micros.count)"]]))
    }

    private func format(_ value: Double) -> String {
        let tenths = Int((value * 10).rounded())
        return "\(tenths / 10).\(tenths % 10)"
    }
}
