import BatonConsole
import Foundation
import PluginHost

/// A kvstore testnet of real `baton node` processes in a temporary folder, for
/// the benchmarks: written, tuned (extra node.toml tables), started, and
/// stopped and removed by `stop()` — unless a node died on its own, whose
/// folder (data, `node.log`) is then kept and named.
final class BenchCluster {
    let binary: String
    let folder: String
    let nodes: Int
    let basePort: Int
    private(set) var processes: [Process] = []
    /// Nodes the benchmark stopped or killed itself (a fault it injected).
    private var stoppedOnPurpose: Set<Int> = []

    /// `nodeTomlTop`: top-level keys (before the file's first table); `extra`: tables appended.
    init(nodes: Int, basePort: Int, leaderElection: String = "reputation", nodeTomlTop: String = "", nodeToml extra: String) throws {
        binary = PluginLocator.executablePath() ?? CommandLine.arguments[0]
        let binDir = URL(fileURLWithPath: binary).deletingLastPathComponent().path
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("baton-bench-\(UUID().uuidString)").path
        self.nodes = nodes
        self.basePort = basePort
        try runQuietly(binary, ["testnet", "--dir", folder, "--nodes", "\(nodes)", "--plugin", "kvstore",
                                "--base-port", "\(basePort)", "--plugin-dir", binDir, "--leader-election", leaderElection])
        for i in 0..<nodes {
            let path = "\(folder)/node-\(i)/node.toml"
            try (nodeTomlTop + (try String(contentsOfFile: path, encoding: .utf8)) + extra).write(toFile: path, atomically: true, encoding: .utf8)
        }
        processes = try (0..<nodes).map(launch)
    }

    /// Each node's HTTP API, host:port.
    var apis: [String] { (0..<nodes).map { "127.0.0.1:\(basePort + 100 + $0)" } }

    /// Stops node `i` gracefully and waits for it.
    func stop(_ i: Int) {
        stoppedOnPurpose.insert(i)
        if processes[i].isRunning { processes[i].interrupt() }
        processes[i].waitUntilExit()
    }

    func restart(_ i: Int) throws {
        processes[i] = try launch(i)
        stoppedOnPurpose.remove(i)
    }

    /// Nodes whose process ended though the benchmark neither stopped nor
    /// killed them, with how it ended (a crash: "signal 4").
    var diedOnTheirOwn: [(node: Int, how: String)] {
        processes.indices.compactMap { i in
            let process = processes[i]
            guard !stoppedOnPurpose.contains(i), !process.isRunning else { return nil }
            let how = process.terminationReason == .uncaughtSignal ? "signal \(process.terminationStatus)"
                                                                   : "exit status \(process.terminationStatus)"
            return (i, how)
        }
    }

    /// Kill -9, delete node `i`'s data directory (store, safety record,
    /// snapshots, log) and start it again: a member whose disk was replaced.
    func wipe(_ i: Int) throws {
        kill(i)
        processes[i].waitUntilExit()
        try FileManager.default.removeItem(atPath: "\(folder)/node-\(i)/data")
        try restart(i)
    }

    /// Bytes on disk of node `i`'s data directory (its RocksDB, safety record and logs).
    func diskBytes(_ i: Int) -> UInt64 { DiskUsage.bytes("\(folder)/node-\(i)/data") }

    /// SIGKILL, as a crash: no graceful shutdown, nothing flushed. Not waited
    /// for (Foundation reaps it); `stop()` later finds it exited.
    func kill(_ i: Int) {
        stoppedOnPurpose.insert(i)
        if processes[i].isRunning { Glibc.kill(processes[i].processIdentifier, SIGKILL) }
    }

    func stop() {
        let died = diedOnTheirOwn
        for i in processes.indices { stop(i) }
        guard died.isEmpty else {
            for (node, how) in died {
                printError("node \(node) died during the run (\(how)); its node.log and data are kept in \(folder)/node-\(node)")
            }
            return
        }
        try? FileManager.default.removeItem(atPath: folder)
    }

    private func launch(_ i: Int) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["node", "--config", "\(folder)/node-\(i)/node.toml"]
        process.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
        process.standardError = FileHandle(forWritingAtPath: "/dev/null")
        try process.run()
        return process
    }
}
