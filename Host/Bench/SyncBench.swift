import BatonAPI
import BatonConsole
import ArgumentParser
import Foundation

/// `baton bench sync`: how fast a node that lost its data catches up. A
/// 4-node cluster finalizes `--blocks` blocks under load (kvstore, `--batch`
/// transactions a block); then node 3 is stopped, its data directory wiped,
/// and it is restarted: the figure is the blocks per second it fetches,
/// verifies and replays into the app until it reaches the others' height.
public struct SyncBench: AsyncParsableCommand {
    public init() {}

    public static let configuration = CommandConfiguration(
        commandName: "sync",
        abstract: "Block-sync replay rate: a wiped node catching up with a 4-node cluster, in blocks/s.")

    @Option(help: "Finalized blocks to build up before the wiped node restarts.") var blocks = 1_000
    @Option(help: "Transactions per block while building up.") var batch = 100
    @Option(help: "First consensus port (APIs at +100).") var basePort = 7600
    @Option(help: "Give up when the wiped node has not caught up after this many seconds.") var timeout = 120
    @Option(help: "State sync instead of block replay: the members snapshot every N heights and the wiped node restores the newest (issue 31).")
    var stateSyncInterval: Int?
    @Option(help: "Bytes per transaction while building up (kvstore keeps each as an entry: the app state grows by about this much each).")
    var txBytes = 32

    public func run() async throws {
        let storage = stateSyncInterval.map { "\n[storage]\nsnapshot_interval = \($0)\nstate_sync = true\n" } ?? ""
        let cluster = try BenchCluster(nodes: 4, basePort: basePort, nodeToml:
            "\n[mempool]\nbatch_transactions_max = \(batch)\ntransactions_max = 50000\n" + storage)
        defer { cluster.stop() }
        let apis = cluster.apis
        func height(_ api: String) async -> Int { await ClusterBench.finalizedHeight(at: api) ?? 0 }

        // Build up the chain under a closed-loop load on nodes 0-2.
        printLine("bench sync: building \(blocks) blocks of up to \(batch) transactions…")
        // Open loop in 2-second rounds until node 0 has the blocks.
        let ledger = Ledger()
        let (batch, txBytes) = (self.batch, self.txBytes)
        var round = 0
        while await height(apis[0]) < blocks {
            round += 1
            let tag = "r\(round)"
            let until = ContinuousClock.now + .seconds(2)
            await withTaskGroup(of: Void.self) { group in
                for client in 0..<3 {
                    group.addTask {
                        await ClusterBench.submit(client: client, apis: apis, ledger: ledger, until: until,
                                                  requestSize: batch, window: 0, rate: batch * 40 / 3, txBytes: txBytes, tag: tag)
                    }
                }
            }
        }

        // Wipe node 3 and time its catch-up.
        cluster.stop(3)
        try FileManager.default.removeItem(atPath: "\(cluster.folder)/node-3/data")
        let target = await height(apis[0])
        let started = ContinuousClock.now
        try cluster.restart(3)
        var reached = 0
        while reached < target {
            try await Task.sleep(for: .milliseconds(100))
            reached = await height(apis[3])
            if ContinuousClock.now - started > .seconds(timeout) {
                printError("node 3 reached only height \(reached) of \(target) in \(timeout) s: block sync did not catch up")
                throw ExitCode.failure
            }
        }
        let elapsed = ContinuousClock.now - started
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        if stateSyncInterval != nil {
            // The wiped node's own account of the sync: its console line.
            let log = (try? String(contentsOfFile: "\(cluster.folder)/node-3/data/node.log", encoding: .utf8)) ?? ""
            let line = log.split(separator: "\n").last { $0.contains("state sync: restored the snapshot") }.map(String.init) ?? "(no state sync in node 3's log)"
            print(Table.render([
                ["what", "figure"],
                ["height the others were at", "\(target)"],
                ["time from restart to that height, state sync and block sync after it (s)", String(format: "%.1f", seconds)],
            ]))
            print(line)
            return
        }
        print(Table.render([
            ["what", "figure"],
            ["blocks replayed (up to \(batch) tx each)", "\(target)"],
            ["time from restart to the others' height (s)", String(format: "%.1f", seconds)],
            ["replay rate (blocks/s)", String(format: "%.0f", Double(target) / seconds)],
        ]))
    }
}
