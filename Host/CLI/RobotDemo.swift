import BatonAPI
import BatonConsole
import BatonCrypto
import ArgumentParser
import Foundation
import Node
import PluginHost
import Synchronization
import Governance

/// The README's main command: a local robot federation of real processes.
struct RobotDemo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "robot",
        abstract: "Run a local robot federation: N node processes on loopback steering one robot.",
        discussion: """
            Builds nothing: it starts `baton node` processes from this binary's folder, shows \
            each second the view, the finalized height, the robot's position and every node's \
            status, and stops every process it started on Ctrl-C (or after --duration).
            """)

    @Option(help: "Committee size.") var nodes = 4
    @Option(help: "Byzantine members: 0, or 1 (one node equivocates whenever it leads).") var byzantine = 0
    @Option(help: "Stop after this many seconds (default: run until Ctrl-C).") var duration: Int?
    @Option(help: "Folder for the testnet (default: a new temporary folder).") var dir: String?
    @Option(help: "First consensus port.") var basePort = 7100
    @Option(help: "Live upgrade: members sign a plan to run the robot's second build (librobot-v2.so, which adds 'uturn') from this height, and every node switches there without a restart (at least 20 blocks ahead).")
    var upgradeAt: UInt64?

    final class NodeOutput: @unchecked Sendable {
        let lock = NSLock()
        var status: StatusLine<RobotApp>?
        var hashes: [UInt64: String] = [:]
        var buffer = ""

        func consume(_ data: Data) {
            lock.lock()
            defer { lock.unlock() }
            buffer += String(decoding: data, as: UTF8.self)
            let lines = buffer.split(separator: "\n", omittingEmptySubsequences: false)
            buffer = String(lines.last ?? "")
            for line in lines.dropLast() {
                if line.hasPrefix("{"), let parsed = APIJSON.decode(StatusLine<RobotApp>.self, from: Data(line.utf8)) {
                    status = parsed
                } else if line.hasPrefix("committed "), let fields = Optional(line.split(separator: " ")), fields.count == 3,
                          let height = UInt64(fields[1].dropFirst(7)) {
                    hashes[height] = String(fields[2].dropFirst(5))
                }
            }
        }

        var height: UInt64 { lock.withLock { hashes.keys.max() ?? 0 } }
        func hash(_ h: UInt64) -> String? { lock.withLock { hashes[h] } }
        var latest: StatusLine<RobotApp>? { lock.withLock { status } }
        var robot: String {
            guard let robot = latest?.app?.robot else { return "?" }
            return "(\(robot.x),\(robot.y)) \(robot.heading)"
        }
    }

    /// What the robot plugin answers to an empty query (its status).
    struct RobotApp: Decodable, Sendable {
        struct Robot: Decodable, Sendable {
            let x: Int, y: Int, heading: String
        }
        let robot: Robot?
        /// The plugin build ("v2" after the live upgrade).
        let build: String?
    }

    func run() async throws {
        guard (1...16).contains(nodes) else { throw ValidationError("--nodes must be 1...16") }
        guard byzantine == 0 || (byzantine == 1 && nodes >= 4) else {
            throw ValidationError("--byzantine is 0, or 1 with at least 4 nodes")
        }
        let binary = PluginLocator.executablePath() ?? CommandLine.arguments[0]
        let binDir = URL(fileURLWithPath: binary).deletingLastPathComponent().path
        let folder = dir ?? FileManager.default.temporaryDirectory.appendingPathComponent("baton-demo-\(UUID().uuidString)").path
        try runQuietly(binary, ["testnet", "--dir", folder, "--nodes", "\(nodes)", "--plugin", "robot",
                         "--base-port", "\(basePort)", "--plugin-dir", binDir])
        printLine("robot federation: \(nodes) nodes\(byzantine == 1 ? ", node \(nodes - 1) Byzantine (equivocates as leader)" : ""); testnet in \(folder)")
        printLine("live robot page: http://127.0.0.1:\(basePort + 100)/  (every node serves one, ports \(basePort + 100)…\(basePort + 99 + nodes)); Ctrl-C stops every node")

        var processes: [Process] = []
        var outputs: [NodeOutput] = []
        for i in 0..<nodes {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: binary)
            var arguments = ["node", "--config", "\(folder)/node-\(i)/node.toml", "--print-commits", "--print-status"]
            if byzantine == 1, i == nodes - 1 { arguments.append("--byzantine-equivocate") }
            process.arguments = arguments
            let pipe = Pipe()
            let output = NodeOutput()
            PipeReader.start(pipe.fileHandleForReading) { output.consume($0) }
            process.standardOutput = pipe
            process.standardError = FileHandle(forWritingAtPath: "/dev/null")
            try process.run()
            processes.append(process)
            outputs.append(output)
        }
        if let upgradeAt {
            let apis = (0..<nodes).map { "127.0.0.1:\(basePort + 100 + $0)" }
            let keys = (0..<nodes).map { "\(folder)/node-\($0)/key.json" }
            let honest = byzantine == 1 ? nodes - 1 : nodes
            Task { await Self.upgrade(at: upgradeAt, plugin: "\(binDir)/librobot-v2.so", apis: apis, keys: Array(keys.prefix(honest))) }
        }
        let interrupted = await showProgress(duration: duration) { seconds in
            let leader = outputs.max { $0.height < $1.height }!
            // Evidence as the honest nodes saw it (the Byzantine one's own view is no proof).
            let honestOutputs = byzantine == 1 ? Array(outputs.dropLast()) : outputs
            let evidence = honestOutputs.map { $0.latest?.evidence ?? 0 }.max() ?? 0
            let build = leader.latest?.app?.build.map { "  robot build \($0)" } ?? ""
            var line = "[\(seconds)s] view \(leader.latest?.view ?? 0)  finalized \(leader.height)  robot \(leader.robot)\(build)  evidence \(evidence)  |"
            for (i, output) in outputs.enumerated() {
                line += " n\(i) h\(output.height) \(output.latest?.peers ?? 0)p\(processes[i].isRunning ? "" : " DOWN") |"
            }
            return line
        }
        for process in processes where process.isRunning { process.interrupt() }
        for process in processes { process.waitUntilExit() }
        let honest = byzantine == 1 ? Array(outputs.dropLast()) : outputs
        let common = honest.map(\.height).min() ?? 0
        let agree = Set(honest.compactMap { $0.hash(common) }).count == 1
        printLine("stopped\(interrupted ? " (Ctrl-C)" : ""): finalized height \(common) on every honest node; app state hashes at \(common) \(agree ? "agree" : "DIFFER")")
        if common == 0 || !agree { throw ExitCode.failure }
    }


    /// `--upgrade-at`: member 0 proposes the plan (the second robot build
    /// from `height`), the others approve, each with its own key file, all
    /// through the nodes' APIs as any member would (`baton upgrade`).
    static func upgrade(at height: UInt64, plugin: String, apis: [String], keys: [String]) async {
        do {
            let library = try PluginLibrary.load(path: plugin)
            var chain: Bytes32?
            while chain == nil {
                try await Task.sleep(for: .milliseconds(500))
                chain = await UpgradeClient.chainID(api: apis[0])
            }
            guard let plan = UpgradePlan(running: library, chainID: chain!, fromHeight: height) else {
                printLine("upgrade: cannot read \(plugin)")
                return
            }
            if let problem = plan.problem(chainID: chain!) {
                printLine("upgrade: plan refused: \(problem)")
                return
            }
            let signers = try keys.map { Secp256k1Signer(try KeyFile.load($0)) }
            _ = await UpgradeClient.submit(.propose(.upgrade(plan), Approval.sign(plan, with: signers[0])), api: apis[0])
            printLine("upgrade: member 0 proposed \(plan)")
            // Each approval once the proposal is committed (the plan open); a node says so with 400 before.
            for (index, signer) in signers.enumerated().dropFirst() {
                let approval = HostTransaction.approve(.upgrade, Approval.sign(plan, with: signer))
                for _ in 0..<100 {
                    if let (status, _) = await UpgradeClient.submit(approval, api: apis[index]),
                       status == 202 || status == 200 || status == 409 { break }
                    try await Task.sleep(for: .milliseconds(300))
                }
                printLine("upgrade: member \(index) approved")
            }
        } catch {
            printLine("upgrade: \(error)")
        }
    }
}
