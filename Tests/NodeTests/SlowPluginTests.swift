import BatonCrypto
import BatonTestSupport
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
@_spi(Testing) import Node
import NodeHTTP
import PluginHost
import Synchronization
import Testing

/// Issue 29: a plugin can slow one call, never the federation. The fixture
/// sleeps on demand (check_tx of "slow:MS…", query "slow:MS", validate of a
/// payload holding "stall-validate:MS"); the nodes are real (`LocalCluster`:
/// the real loop, RocksDB, the `.so` through dlopen).
/// A counter tasks and threads share.
final class SharedCount: Sendable {
    private let value = Mutex(0)
    func add(_ n: Int = 1) { value.withLock { $0 += n } }
    var count: Int { value.withLock { $0 } }
}

@Suite(.serialized) struct SlowPluginTests {
    /// The fixture that allows a second instance (ABI 1.6).
    static func secondInstancePlugin() async throws -> String {
        try await CCompiler.fixture(["FIXTURE_SECOND_INSTANCE"], name: "libfixture-second.so")
    }

    static func budgets(checkTxMs: UInt64 = 30_000, queryMs: UInt64 = 30_000, validateMs: UInt64 = 30_000) -> PluginBudgets {
        var budgets = PluginBudgets()
        budgets.checkTxMs = checkTxMs
        budgets.queryMs = queryMs
        budgets.validateBlockMs = validateMs
        return budgets
    }

    /// Every node judges the same slow transaction at once (a client sent
    /// it to each): while all four are inside its check_tx, every node
    /// finalizes on. Before issue 29 check_tx ran on the loop, and this
    /// froze the federation for as long as the call lasted.
    @Test func aSlowCheckTxOnEveryNodeNeverStopsTheFederation() async throws {
        let cluster = try LocalCluster(plugin: try await Self.secondInstancePlugin(), pluginBudgets: Self.budgets())
        defer { cluster.removeDirectories() }
        try await cluster.startAll()
        #expect(await cluster.waitForHeight(3))
        let nodes = cluster.nodes.compactMap { $0 }
        let slow = Array("slow:10000".utf8)
        let finished = SharedCount()
        let submissions = nodes.map { node in
            Task {
                let answer = await node.submit(slow)
                finished.add()
                return answer
            }
        }
        let inside = await waitUntil(seconds: 5) { nodes.allSatisfy { $0.watchdog.running.contains(.checkTx) } }
        #expect(inside, "every node is inside the slow check_tx")
        let start = await cluster.heights().compactMap { $0 }.max() ?? 0
        #expect(await cluster.waitForHeight(start + 5, seconds: 8), "the federation went on while every check_tx ran")
        #expect(finished.count == 0 && nodes.allSatisfy { $0.watchdog.running.contains(.checkTx) },
                "the heights advanced while the calls were still running")
        for submission in submissions {
            switch await submission.value {
            case .accepted, .duplicate: break
            case let other: Issue.record("the slow transaction was not admitted: \(other)")
            }
        }
        await cluster.stopAll()
    }

    /// A check_tx past its budget: the client hears 503 at the budget, not
    /// when the call ends; a fresh instance serves the next transaction
    /// meanwhile; the late "yes" admits and gossips nothing.
    @Test func aCheckTxPastItsBudgetAnswersAtTheBudgetAndIsNeverAdmitted() async throws {
        let cluster = try LocalCluster(plugin: try await Self.secondInstancePlugin(),
                                       pluginBudgets: Self.budgets(checkTxMs: 300))
        defer { cluster.removeDirectories() }
        try await cluster.startAll()
        #expect(await cluster.waitForHeight(2))
        let node = try #require(cluster.nodes[0])
        let slow = Array("slow:3000 stuck".utf8)
        guard case .unavailable(let reason) = await node.submit(slow) else {
            Issue.record("a check_tx past its budget was not answered as unavailable")
            return
        }
        #expect(reason.contains("stuck in check_tx") && reason.contains("budget"), "\(reason)")
        #expect(node.watchdog.running.contains(.checkTx), "answered while the call still runs")
        // The next transaction is judged by a fresh instance, not behind the stuck one.
        guard case .accepted = await node.submit(Array("put:after".utf8)) else {
            Issue.record("a normal transaction waited behind the stuck call")
            return
        }
        #expect(node.watchdog.running.contains(.checkTx), "judged while the stuck call still runs")
        #expect(node.metrics.text.contains("baton_plugin_overruns_total 1\n"))
        // Once the stuck call has returned (its answer was yes), nothing was admitted.
        #expect(await waitUntil(seconds: 10) { !node.watchdog.running.contains(.checkTx) })
        let hash = SHA256Digest.hash(slow)
        for peer in cluster.nodes.compactMap({ $0 }) {
            let held = await peer.mempool.contains(hash)
            let committed = await peer.recentlyCommitted.height(of: hash)
            #expect(!held && committed == nil)
        }
        #expect(await waitUntil(seconds: 5) { node.sideLane.workerCount == 1 }, "the stuck worker retired")
        await cluster.stopAll()
    }

    /// A plugin that does not allow a second instance: its side calls share
    /// the one instance, one at a time, still off the loop. A query past its
    /// budget answers 503 at once; the next one waits its turn and is answered.
    @Test func withoutASecondInstanceSideCallsShareTheOne() async throws {
        let cluster = try LocalCluster(plugin: try await CCompiler.fixture(), pluginBudgets: Self.budgets(queryMs: 300))
        defer { cluster.removeDirectories() }
        try await cluster.startAll()
        #expect(await cluster.waitForHeight(2))
        let node = try #require(cluster.nodes[0])
        await #expect(throws: SideCallError.self) { _ = try await node.query(Array("slow:1500".utf8)) }
        #expect(node.sideLane.workerCount == 1, "no second instance to route around it")
        #expect(try await node.query(Array("echo".utf8)) == Array("echo".utf8))
        await cluster.stopAll()
    }

    /// A block call that hangs holds the loop (consensus calls stay where
    /// app agreement needs them), but the operator sees why while it
    /// happens: the watchdog names call and height, counts it, and
    /// `/v1/status` answers from the published status, naming the stuck call.
    /// The stall (1.5 s) stays under the test pacemaker's longest view (2 s):
    /// a block call slower than every view could never get its block through.
    @Test(arguments: [PluginCall.produceBlock, .validateBlock, .commitBlock])
    func aStuckBlockCallIsReportedWhileItRuns(call: PluginCall) async throws {
        var budgets = Self.budgets()
        budgets.produceBlockMs = 200
        budgets.validateBlockMs = 200
        budgets.commitBlockMs = 200
        let tag = ["produce_block": "stall-produce:", "validate_block": "stall-validate:", "commit_block": "stall-commit:"][call.name]!
        let cluster = try LocalCluster(plugin: try await Self.secondInstancePlugin(), pluginBudgets: budgets)
        defer { cluster.removeDirectories() }
        try await cluster.startAll()
        #expect(await cluster.waitForHeight(2))
        let nodes = cluster.nodes.compactMap { $0 }
        let base = Ports.freeBase(span: nodes.count)
        let servers = nodes.enumerated().map { i, node in
            Task { try await HTTPAPI.serve(node: node, host: "127.0.0.1", port: base + i) }
        }
        defer { servers.forEach { $0.cancel() } }
        for i in nodes.indices {
            #expect(await waitUntil(seconds: 60) { (try? await httpRequest("http://127.0.0.1:\(base + i)/v1/status"))?.status == 200 })
        }
        guard case .accepted = await nodes[0].submit(Array("\(tag)1500".utf8)) else {
            Issue.record("the stalling transaction was not admitted")
            return
        }
        // The proposer produces it, the others validate it, all commit it:
        // some node's /v1/status names the stuck call while it runs.
        var stalled: (index: Int, json: [String: Any], stuck: [String: Any])?
        let reported = await waitUntil(seconds: 20) {
            for i in nodes.indices {
                guard let reply = try? await httpRequest("http://127.0.0.1:\(base + i)/v1/status"),
                      let stuck = ((reply.json["plugin"] as? [String: Any])?["stuck"] as? [[String: Any]])?
                          .first(where: { $0["call"] as? String == call.name })
                else { continue }
                stalled = (i, reply.json, stuck)
                return true
            }
            return false
        }
        #expect(reported, "a node's /v1/status named the stuck \(call.name)")
        let (index, json, stuck) = try #require(stalled)
        let node = nodes[index]
        #expect((stuck["text"] as? String)?.contains("stuck in \(call.name) at height") == true, "\(stuck)")
        #expect(json["busy"] is String, "the loop was held: the answer came from the published status")
        #expect(node.metrics.text.contains("baton_plugin_overruns_total"))
        #expect(node.metrics.text.contains("baton_plugin_call_seconds_count{call=\"\(call.name)\"}"))
        // It returns, the federation goes on, and the report is gone.
        let height = node.lastPublishedStatus.finalizedHeight
        #expect(await cluster.waitForHeight(height + 3, seconds: 30))
        #expect(node.watchdog.stuck.isEmpty)
        await cluster.stopAll()
    }

    /// The side lane's bounds: a full queue answers 503 and says why.
    @Test func aFullSideQueueAnswers503() async throws {
        var lane = PluginSideLane.Limits()
        lane.queueMax = 2
        lane.workersMax = 1
        let cluster = try LocalCluster(plugin: try await Self.secondInstancePlugin(), pluginBudgets: Self.budgets(),
                                       sideLane: lane)
        defer { cluster.removeDirectories() }
        try await cluster.startAll()
        #expect(await cluster.waitForHeight(2))
        let node = try #require(cluster.nodes[0])
        let held = Task { await node.submit(Array("slow:2000 a".utf8)) }
        #expect(await waitUntil(seconds: 5) { node.watchdog.running.contains(.checkTx) })
        let queued = [Task { await node.submit(Array("slow:10 b".utf8)) }, Task { await node.submit(Array("slow:10 c".utf8)) }]
        #expect(await waitUntil(seconds: 5) { node.sideLane.waiting == 2 })
        guard case .unavailable(let reason) = await node.submit(Array("put:d".utf8)) else {
            Issue.record("a full side queue took another call")
            return
        }
        #expect(reason.contains("side queue is full"), "\(reason)")
        #expect(node.metrics.text.contains("baton_plugin_side_queue_full_total 1\n"))
        for task in [held] + queued {
            guard case .accepted = await task.value else { Issue.record("a queued transaction was lost"); continue }
        }
        await cluster.stopAll()
    }
}

/// The side lane alone, with an in-process app that blocks until released.
@Suite struct PluginSideLaneTests {
    final class GatedApp: Application, @unchecked Sendable {
        let gate = DispatchSemaphore(value: 0)
        var info: PluginInfo { PluginInfo(name: "gated", version: "1", description: "", abiMajor: 1, abiMinor: 6) }
        func checkTransaction(_ transaction: [UInt8]) throws(ApplicationError) -> TransactionVerdict {
            gate.wait()
            return .accept
        }
        func produceBlock(_ context: BlockContext, candidates: [[UInt8]]) throws(ApplicationError) -> ProduceAnswer {
            .ready(payload: [], included: [])
        }
        func validateBlock(_ context: BlockContext, payload: [UInt8]) throws(ApplicationError) -> ValidateAnswer { .valid }
        func commitBlock(_ context: BlockContext, payload: [UInt8]) throws(ApplicationError) -> StateHash {
            StateHash([UInt8](repeating: 0, count: 32))!
        }
        func query(_ request: [UInt8]) throws(ApplicationError) -> [UInt8] { request }
    }

    /// Gossip: at most `perPeerMax` batches a peer waiting; another peer is
    /// not affected; a finished batch frees its slot.
    @Test func gossipIsBoundedPerPeer() async throws {
        var limits = PluginSideLane.Limits()
        limits.perPeerMax = 2
        let metrics = NodeMetrics()
        // A budget no gate outlasts: only the test's signals finish a batch
        // (an overrun would answer it too, and the counts would race the clock).
        var budgets = PluginBudgets()
        budgets.checkTxMs = 3_600_000
        let watchdog = PluginWatchdog(plugin: "gated", budgets: budgets, logger: .init(label: "test"), metrics: metrics)
        let lane = PluginSideLane(limits: limits, watchdog: watchdog, metrics: metrics, logger: .init(label: "test"))
        defer { lane.close() }
        let app = GatedApp()
        _ = lane.serve(app)
        let judged = SharedCount()
        let count: @Sendable ([PluginSideLane.Verdict]) -> Void = { verdicts in judged.add(verdicts.count) }
        #expect(lane.checkGossip([[1]], from: "a", completion: count))
        #expect(lane.checkGossip([[2]], from: "a", completion: count))
        #expect(!lane.checkGossip([[3]], from: "a", completion: count), "a third batch from one peer is dropped")
        #expect(lane.checkGossip([[4]], from: "b", completion: count), "another peer still gets in")
        #expect(metrics.text.contains("baton_plugin_side_gossip_dropped_total 1\n"))
        app.gate.signal()
        #expect(await waitUntil(seconds: 30) { judged.count == 1 })
        #expect(lane.checkGossip([[5]], from: "a", completion: count), "a judged batch frees its peer's slot")
        for _ in 0..<3 { app.gate.signal() }
        #expect(await waitUntil(seconds: 30) { judged.count == 4 })
    }
}
