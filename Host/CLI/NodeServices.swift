import BatonConsole
import Consensus
import Node
import ServiceLifecycle

/// The consensus node as a lifecycle service: runs until graceful shutdown (or
/// cancellation), then closes the transport and the store before returning, so
/// nothing touches RocksDB after `run()` returns.
struct NodeService: Service {
    let node: ConsensusNode
    /// A node that stopped itself keeps the API up this long, so `/v1/status`
    /// and `/metrics` show why (a graceful shutdown cuts it short).
    let linger: Duration

    func run() async throws {
        do {
            try await cancelWhenGracefulShutdown { try await node.run() }
        } catch is CancellationError {}
        await node.shutdown()
        // A node that stopped by itself (storage or app failure) fails the group.
        if let reason = await node.stopReason {
            // A node stopping to sync (`needsStateSync`) restarts at once: no linger.
            if await !node.needsStateSync {
                try? await cancelWhenGracefulShutdown { try await Task.sleep(for: linger) }
            }
            throw NodeStopped(reason: reason)
        }
    }
}

/// The console's status line (or a JSON line with `--print-status`), until
/// graceful shutdown.
struct StatusLineService: Service {
    let node: ConsensusNode
    let json: Bool

    func run() async throws {
        // Sleeping is cut short by graceful shutdown, so Ctrl-C never waits for a tick.
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try await Task.sleep(for: .seconds(json ? 1 : 2))
                await report()
            }
        }
    }

    private func report() async {
        await node.refreshPeers()
        let s = await node.status
        if json {
            let app = (try? await node.query([])).map { String(decoding: $0, as: UTF8.self) } ?? "null"
            let evidence = await node.evidence.total
            printLine("{\"view\":\(s.view),\"finalized\":\(s.finalizedHeight),\"hash\":\"\(s.stateHash.hex)\",\"peers\":\(s.peers),\"evidence\":\(evidence),\"app\":\(app.isEmpty ? "null" : app)}")
        } else {
            printLine("status view=\(s.view) finalized=\(s.finalizedHeight) hash=\(s.stateHash.short) peers=\(s.peers)")
        }
    }
}

struct NodeStopped: Error, CustomStringConvertible {
    let reason: String
    var description: String { "the node stopped: \(reason)" }
}
