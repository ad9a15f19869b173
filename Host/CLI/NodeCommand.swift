import ArgumentParser
import Foundation
import Logging
import Node

struct NodeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "node", abstract: "Run one node from its config file (see baton testnet).")

    @Option(help: "The node's TOML config.") var config: String
    @Flag(help: "Print a line for every committed block (height and app state hash).") var printCommits = false
    @Flag(help: "Print a JSON status line every second, with the app's answer to an empty query.") var printStatus = false
    @Flag(help: ArgumentHelp("Demo only: equivocate as leader (a Byzantine node).", visibility: .hidden)) var byzantineEquivocate = false

    func run() async throws {
        let settings: NodeConfig
        do { settings = try NodeConfig.load(config) } catch {
            printError("error: \(error)")
            throw ExitCode.failure
        }
        // Structured logs go to <data_dir>/node.log; the console gets a concise
        // status line, and warnings and errors.
        let dataDir = settings.resolve(settings.data_dir)
        try? FileManager.default.createDirectory(atPath: dataDir, withIntermediateDirectories: true)
        let toFile = FileLogHandler.factory(path: dataDir + "/node.log", level: .info)
        var logger = Logger(label: "baton.node") { label in
            var console = StreamLogHandler.standardError(label: label)
            console.logLevel = .warning
            return MultiplexLogHandler([toFile(label), console])
        }
        logger[metadataKey: "config"] = "\(config)"
        let node: ConsensusNode
        let printCommits = self.printCommits
        do {
            node = try ConsensusNode(config: settings, logger: logger) { height, hash in
                if printCommits { printLine("committed height=\(height) hash=\(hash.hex)") }
            }
        } catch {
            printError("error: \(error)")
            throw ExitCode.failure
        }
        printLine("node starting: \(config)")
        if byzantineEquivocate { await node.setEquivocate(true) }
        let runner = Task { try await node.run() }
        var http: Task<Void, Error>?
        if let api = settings.api {
            guard let (host, port) = Genesis.split(api) else {
                printError("error: config: api = \"\(api)\" is not host:port")
                throw ExitCode.failure
            }
            let application = HTTPAPI.application(node: node, host: host, port: port)
            http = Task { try await application.run() }
            printLine("HTTP API and status page on http://\(host):\(port)/")
        }
        // Stop cleanly on SIGINT/SIGTERM.
        let signals = onTerminationSignals { runner.cancel() }
        defer { signals.forEach { $0.cancel() } }
        let printStatus = self.printStatus
        let status = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(printStatus ? 1 : 2))
                await node.refreshPeers()
                let s = await node.status
                if printStatus {
                    let app = (try? await node.query([])).map { String(decoding: $0, as: UTF8.self) } ?? "null"
                    printLine("{\"view\":\(s.view),\"finalized\":\(s.finalizedHeight),\"hash\":\"\(s.stateHash.hex)\",\"peers\":\(s.peers),\"app\":\(app.isEmpty ? "null" : app)}")
                } else {
                    printLine("status view=\(s.view) finalized=\(s.finalizedHeight) hash=\(s.stateHash.short) peers=\(s.peers)")
                }
            }
        }
        let outcome = await runner.result
        status.cancel()
        http?.cancel()
        await node.shutdown()
        if case .failure(let error) = outcome, !(error is CancellationError) {
            printError("error: \(error)")
            throw ExitCode.failure
        }
        printLine("node stopped")
    }
}
