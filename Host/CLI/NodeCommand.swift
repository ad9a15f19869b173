import ArgumentParser
import Foundation
import Logging
import Node

struct NodeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "node", abstract: "Run one node from its config file (see baton testnet).")

    @Option(help: "The node's TOML config.") var config: String
    @Flag(help: "Print a line for every committed block (height and app state hash).") var printCommits = false

    func run() async throws {
        let settings: NodeConfig
        do { settings = try NodeConfig.load(config) } catch {
            printError("error: \(error)")
            throw ExitCode.failure
        }
        var logger = Logger(label: "baton.node")
        logger.logLevel = .notice
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
        print("node starting: \(config)")
        let runner = Task { try await node.run() }
        // Stop cleanly on SIGINT/SIGTERM.
        let signals = [SIGINT, SIGTERM].map { number -> DispatchSourceSignal in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number)
            source.setEventHandler { runner.cancel() }
            source.resume()
            return source
        }
        defer { signals.forEach { $0.cancel() } }
        let status = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(2))
                await node.refreshPeers()
                let s = await node.status
                printLine("status view=\(s.view) finalized=\(s.finalizedHeight) hash=\(s.stateHash.short) peers=\(s.peers)")
            }
        }
        _ = await runner.result
        status.cancel()
        await node.shutdown()
        print("node stopped")
    }
}
