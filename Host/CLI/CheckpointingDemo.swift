import BatonAPI
import BatonConsole
import ArgumentParser
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import PluginHost

/// `baton demo checkpointing`: Metronome's main job, locally. A federation of
/// 4 Baton nodes runs the checkpointing interpreter; each member has its own
/// `powchain` node; the chain nodes mine, gossip and take the federation's
/// certificates. Optionally an attacker with several times the honest hash
/// power publishes a private fork, and the honest chain refuses it.
struct CheckpointingDemo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "checkpointing",
        abstract: "Run a checkpointed proof-of-work chain: 4 chain nodes, a 4-node federation certifying checkpoints.",
        discussion: """
            Builds nothing: it starts `powchain` and `baton node` processes from this binary's folder, shows \
            each second the chain height, the latest checkpoint and the certificate count on every chain \
            node, and stops every process it started on Ctrl-C (or after --duration).
            """)

    @Option(help: "Stop after this many seconds (default: run until Ctrl-C).") var duration: Int?
    @Option(help: "Folder for the federation and the chains (default: a new temporary folder).") var dir: String?
    @Option(help: "First consensus port of the federation (APIs at +100).") var basePort = 7300
    @Option(help: "First chain node port (one per member).") var chainPort = 8600
    @Option(help: "Interpreter: checkpointing (interval policy) or checkpointing-aged.") var plugin = "checkpointing"
    @Option(help: "Checkpoint every this many blocks (interval policy).") var interval = 5
    @Option(help: "A candidate must be buried under this many blocks.") var depth = 3
    @Option(help: "Hashes per second of each honest chain node.") var hashrate = 512
    @Option(help: "Leading zero bits of every block hash.") var difficultyBits = 10
    @Option(help: "Start an attacker with this many times the honest hash power (0: none).") var attacker = 0

    func run() async throws {
        let binary = PluginLocator.executablePath() ?? CommandLine.arguments[0]
        let binDir = URL(fileURLWithPath: binary).deletingLastPathComponent().path
        let powchain = binDir + "/powchain"
        guard FileManager.default.isExecutableFile(atPath: powchain) else {
            throw ValidationError("no powchain next to baton (\(powchain)); build it with `swift build`")
        }
        let folder = dir ?? FileManager.default.temporaryDirectory.appendingPathComponent("baton-checkpointing-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try "interval = \(interval)\ndepth = \(depth)\n".write(toFile: folder + "/interpreter.conf", atomically: true, encoding: .utf8)
        try runQuietly(binary, ["testnet", "--dir", folder + "/federation", "--nodes", "4", "--plugin", plugin,
                                "--plugin-config", folder + "/interpreter.conf", "--base-port", "\(basePort)",
                                "--plugin-dir", binDir, "--node-plugin-config", "chain = 127.0.0.1:{index+\(chainPort)}"])
        let chainCount = attacker > 0 ? 5 : 4
        let chains = (0..<chainCount).map { "127.0.0.1:\(chainPort + $0)" }
        var processes: [Process] = []
        for (index, address) in chains.enumerated() {
            var arguments = ["--data", "\(folder)/chain-\(index)", "--listen", address, "--miner-id", "\(index)",
                             "--difficulty-bits", "\(difficultyBits)", "--genesis", folder + "/federation/genesis.json"]
            for peer in chains where peer != address { arguments += ["--peer", peer] }
            if index == 4 {
                arguments += ["--attacker", "--hashrate", "\(hashrate * 4 * attacker)", "--fork-at", "2", "--publish-at", "\(3 * interval + depth)"]
            } else {
                arguments += ["--hashrate", "\(hashrate)"]
            }
            processes.append(try Self.start(powchain, arguments, log: "\(folder)/chain-\(index).log"))
        }
        for index in 0..<4 {
            processes.append(try Self.start(binary, ["node", "--config", "\(folder)/federation/node-\(index)/node.toml"],
                                            log: "\(folder)/node-\(index).log"))
        }
        printLine("checkpointing: 4 chain nodes\(attacker > 0 ? " + 1 attacker (\(attacker)× the honest hash power, publishes at height \(3 * interval + depth))" : ""), a 4-node federation running \(plugin) (interval \(interval), depth \(depth)); files in \(folder)")
        printLine("chain page: http://\(chains[0])/  (every chain node serves one)  ·  federation status: http://127.0.0.1:\(basePort + 100)/  ·  Ctrl-C stops everything")

        let interrupted = await showProgress(duration: duration) { seconds in
            var line = "[\(seconds)s]"
            for (index, chain) in chains.prefix(4).enumerated() {
                let s = await fetch(ChainStatus.self, "http://\(chain)/status")
                let cp = s?.latestCheckpoint?.height
                line += " c\(index) h\(s?.height ?? 0) cp#\(cp.map(String.init) ?? "-") \(s?.checkpoints ?? 0)cert"
                if let refused = s?.refusedBlocks, refused > 0 { line += " \(refused)refused" }
                line += " |"
            }
            let federation = await fetch(NodeProgress.self, "http://127.0.0.1:\(basePort + 100)/v1/status")
            line += " federation h\(federation?.finalizedHeight ?? 0)"
            if attacker > 0, let attack = await fetch(ChainStatus.self, "http://\(chains[4])/status")?.attack {
                line += " | attacker private h\(attack.privateHeight) published \(attack.published)"
            }
            return line
        }

        // Figures before stopping: agreement, certificate latency and size.
        let latest = await Self.latestCheckpoints(Array(chains.prefix(4)))
        let timings = await fetch(ChainTimings.self, "http://\(chains[0])/chain/timings")
        let reached = timings?.reached ?? [:], certified = timings?.certified ?? [:]
        let latencies = certified.compactMap { key, at -> Int? in
            guard let height = Int(key), let deep = reached["\(height + depth)"] else { return nil }
            return at - deep
        }.sorted()
        let lastHeight = Int(latest.first?.split(separator: ":").first ?? "0") ?? 0
        let certificateBytes = lastHeight > 0 ? (await fetchData("http://\(chains[0])/chain/certificate/\(lastHeight)"))?.count ?? 0 : 0

        for process in processes where process.isRunning { process.interrupt() }
        for process in processes { process.waitUntilExit() }
        let agree = Set(latest).count == 1
        printLine("stopped\(interrupted ? " (Ctrl-C)" : ""): latest checkpoint #\(lastHeight) on every chain node: \(agree ? "agree" : "DIFFER (\(latest))")"
            + (latencies.isEmpty ? "" : "; depth reached → certificate at the chain node: median \(latencies[latencies.count / 2]) ms over \(latencies.count)")
            + (certificateBytes > 0 ? "; certificate \(certificateBytes) bytes" : ""))
        if lastHeight == 0 || !agree { throw ExitCode.failure }
    }

    /// Each chain node's latest checkpoint ("height:hash"), read until all
    /// agree at one reading or 5 s pass (a new certificate reaches them a
    /// moment apart, each from its own member).
    static func latestCheckpoints(_ chains: [String]) async -> [String] {
        var latest: [String] = []
        for attempt in 0..<50 {
            if attempt > 0 { try? await Task.sleep(for: .milliseconds(100)) }
            latest = []
            for chain in chains {
                let cp = await fetch(ChainStatus.self, "http://\(chain)/status")?.latestCheckpoint
                latest.append("\(cp?.height ?? 0):\(cp?.hash ?? "")")
            }
            if Set(latest).count == 1 { break }
        }
        return latest
    }

    /// What a chain node (`powchain`) answers at `/status`, as far as the demo reads it.
    struct ChainStatus: Decodable {
        struct Checkpoint: Decodable { let height: Int, hash: String }
        struct Attack: Decodable { let privateHeight: Int, published: Int }
        let height: Int, checkpoints: Int, refusedBlocks: Int
        let latestCheckpoint: Checkpoint?
        /// Only on an attacker's node.
        let attack: Attack?
    }

    /// `/chain/timings`: ms since the epoch when the best chain first reached each height, and each checkpoint became known.
    struct ChainTimings: Decodable {
        let reached: [String: Int], certified: [String: Int]
    }

    static func start(_ executable: String, _ arguments: [String], log: String) throws -> Process {
        FileManager.default.createFile(atPath: log, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardOutput = FileHandle(forWritingAtPath: log)
        process.standardError = FileHandle(forWritingAtPath: log)
        try process.run()
        return process
    }
}
