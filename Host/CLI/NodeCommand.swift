import BatonConfig
import BatonConsole
import ArgumentParser
import BatonNetwork
import Foundation
import Logging
import Node
import NodeHTTP
import ServiceLifecycle
import Storage

struct NodeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "node", abstract: "Run one node from its config file (see baton testnet).")

    @Option(help: "The node's TOML config.") var config: String
    @Flag(help: "Check the config, its key, its genesis and its plugin, print what was found, and exit without starting (exit status 1 on a problem).")
    var check = false
    @Flag(help: "Print a line for every committed block (height and app state hash).") var printCommits = false
    @Flag(help: "Print a JSON status line every second, with the app's answer to an empty query.") var printStatus = false
    @Flag(help: ArgumentHelp("Demo only: equivocate as leader (a Byzantine node).", visibility: .hidden)) var byzantineEquivocate = false

    /// The exit status of a node that stopped itself (1: it could not start).
    static let stoppedItself: Int32 = 3

    /// node.log's level from the config (info by default); an unknown name is
    /// refused with the names there are.
    static func logLevel(_ settings: NodeConfig) throws -> Logger.Level {
        guard let name = settings.log_level else { return .info }
        guard let level = Logger.Level(rawValue: name) else {
            printError("error: config: log_level = \"\(name)\" is not one of \(Logger.Level.allCases.map(\.rawValue).joined(separator: ", "))")
            throw ExitCode.failure
        }
        return level
    }

    func run() async throws {
        let settings: NodeConfig
        do { settings = try NodeConfig.load(config) } catch {
            printError("error: \(error)")
            throw ExitCode.failure
        }
        if check { return try runCheck(settings) }
        let logger = try makeLogger(settings)
        // Twice at most: a node with an empty store that learns its peers
        // pruned its first blocks stops, restores their snapshot and runs again.
        var forceSync = false
        while true {
            let node = try await makeNode(settings, logger: logger, forceSync: forceSync)
            printLine("node starting: \(config)")
            // One ServiceGroup runs the node, its HTTP API and the console status
            // line; SIGINT/SIGTERM start a graceful shutdown of all three, and any
            // one ending (a storage failure stops the node) ends the others.
            // Shut down in reverse order: the node first (it ends the event
            // streams the API serves), then the API, then the console line.
            var services: [ServiceGroupConfiguration.ServiceConfiguration] = [.init(service: StatusLineService(node: node, json: printStatus))]
            if let api = settings.api { services.append(try await apiService(at: api, settings: settings, node: node, logger: logger)) }
            // A node that stops itself (a failing disk, a safety fault, a state
            // sync due) shuts the API down gracefully, as a signal does:
            // cancelled, Hummingbird logs errors that are none.
            services.append(.init(service: NodeService(node: node, linger: .milliseconds(settings.stop_linger_ms ?? 3_000)),
                                  failureTerminationBehavior: .gracefullyShutdownGroup))
            var quiet = logger
            quiet.logLevel = .warning
            let group = ServiceGroup(configuration: .init(
                services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: quiet))
            do {
                try await group.run()
            } catch {
                await node.shutdown()
                if await node.needsStateSync, !forceSync {
                    printLine("the peers no longer keep this node's first blocks: restoring their snapshot (state sync)")
                    forceSync = true
                    continue
                }
                printError("error: \(error)")
                // A node that stopped itself (its app diverged, a safety fault, a
                // failing disk) needs its operator, not a restart: its own status
                // (deploy/baton.service does not restart on it).
                if await node.stopReason != nil { throw ExitCode(Self.stoppedItself) }
                throw ExitCode.failure
            }
            printLine("node stopped")
            return
        }
    }

    /// The node of `settings`, after the state sync its empty store may first
    /// need (`[storage] state_sync`, or `forceSync`): the sync's progress is on
    /// the console and, while it runs, on the API's /v1/status and status page.
    private func makeNode(_ settings: NodeConfig, logger: Logger, forceSync: Bool) async throws -> ConsensusNode {
        let printCommits = self.printCommits
        do {
            let statusServer = SyncStatusServer(api: settings.api, logger: logger)
            let outcome: StateSync.Outcome?
            do {
                outcome = try await NodeBootstrap.syncState(config: settings, logger: logger, force: forceSync, onStart: { watch in
                    await statusServer.start(watch)
                }, onProgress: { p in
                    printLine("state sync: \(p.chunksDone)/\(p.chunks) chunks, \(p.bytesDone / 1_048_576)/\(p.bytes / 1_048_576) MiB, \(p.bytesPerSecond / 1_048_576) MiB/s")
                })
            } catch {
                await statusServer.stop()
                throw error
            }
            await statusServer.stop()
            if case .restored(let manifest, let progress)? = outcome {
                printLine("state sync: restored height \(manifest.head.height), \(progress.bytesDone) bytes in \(Double(progress.elapsedMs) / 1_000) s; catching up by block sync")
            }
            let parts = try NodeBootstrap.parts(config: settings, logger: logger, equivocate: byzantineEquivocate) { height, hash in
                if printCommits { printLine("committed height=\(height) hash=\(hash.hex)") }
            }
            return try ConsensusNode(parts: parts)
        } catch {
            printError("error: \(error)")
            throw ExitCode.failure
        }
    }

    /// `--check`: what was found, and whether it may start (exit 1 if not).
    private func runCheck(_ settings: NodeConfig) throws {
        do {
            _ = try Self.logLevel(settings)
            let (lines, warnings) = try NodeBootstrap.check(settings).report(config: settings)
            for line in lines { print("ok: \(line)") }
            for warning in warnings { print("warning: \(warning)") }
            print("\(config): ready to start")
        } catch let error as BootstrapError {
            printError("error: \(error)")
            throw ExitCode.failure
        }
    }

    /// Structured logs go to <data_dir>/node.log; the console gets a concise
    /// status line, and warnings and errors.
    private func makeLogger(_ settings: NodeConfig) throws -> Logger {
        let logPath: String
        do { logPath = try DataDirectory.prepare(settings.resolve(settings.data_dir)) } catch {
            printError("error: \(error)")
            throw ExitCode.failure
        }
        let toFile = FileLogHandler.factory(path: logPath, level: try Self.logLevel(settings))
        var logger = Logger(label: "baton.node") { label in
            var console = StreamLogHandler.standardError(label: label)
            console.logLevel = .warning
            return MultiplexLogHandler([toFile(label), console])
        }
        logger[metadataKey: "config"] = "\(config)"
        return logger
    }

    /// The HTTP API at `api`, its bounds from `[http]`, its connections
    /// within the process's descriptor budget.
    private func apiService(at api: String, settings: NodeConfig, node: ConsensusNode, logger: Logger) async throws
        -> ServiceGroupConfiguration.ServiceConfiguration
    {
        let address: PeerAddress
        do { address = try PeerAddress(parsing: api) } catch {
            printError("error: config: api: \(error)")
            throw ExitCode.failure
        }
        let (host, port) = (address.host, address.port)
        var limits = HTTPAPI.Limits()
        if let v = settings.http?.connections_max { limits.connectionsMax = max(v, 1) }
        if let v = settings.http?.idle_timeout_ms { limits.idleTimeout = .milliseconds(max(v, 1)) }
        if let v = settings.http?.event_streams_max { limits.eventSubscribersMax = max(v, 0) }
        let budget = DescriptorBudget.apiConnections(
            requested: limits.connectionsMax, peers: await node.committeeSize + 16,
            pendingHandshakes: ConnectionLimits().pendingHandshakesMax, rocksDBFiles: RocksDatabase.openFilesMax)
        limits.connectionsMax = budget.connections
        if let warning = budget.warning { logger.warning("\(warning)") }
        printLine("HTTP API and status page on http://\(host):\(port)/")
        return .init(service: HTTPAPI.application(node: node, host: host, port: port, limits: limits, logger: logger))
    }
}
