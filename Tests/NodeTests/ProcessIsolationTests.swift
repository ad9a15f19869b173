import BatonCrypto
import BatonTestSupport
import Foundation
@_spi(Testing) import Node
import PluginHost
import Testing

/// Issue 29, item 4: `plugin_isolation = "process"` — the same `.so` in a
/// child `baton plugin-host`; real nodes (`LocalCluster`), real child
/// processes, real segfaults.
@Suite(.serialized) struct ProcessIsolationTests {
    static var isolation: PluginIsolation { .process(executable: Paths.binary("baton")) }

    /// Submits "put:KEY" (the fixture stores KEY) and waits until every
    /// node's plugin shows it in its state.
    static func everyNodeStores(_ key: String, submittedTo node: ConsensusNode, in cluster: LocalCluster) async -> Bool {
        guard case .accepted = await node.submit(Array("put:\(key)".utf8)) else { return false }
        return await waitUntil(seconds: 30) {
            for peer in cluster.nodes.compactMap({ $0 }) where (try? await peer.query(Array("scan".utf8)))?.contains(Array(key.utf8)) != true {
                return false
            }
            return true
        }
    }

    /// Every call crosses the socket and answers as in process: check_tx,
    /// produce, validate, commit (with its writes landing in RocksDB),
    /// query, and the second instance (a second child) for the side calls.
    @Test func aClusterRunsItsPluginInChildProcesses() async throws {
        let plugin = try await CCompiler.fixture(["FIXTURE_SECOND_INSTANCE"], name: "libfixture-second.so")
        let cluster = try LocalCluster(plugin: plugin, isolation: Self.isolation)
        defer { cluster.removeDirectories() }
        try await cluster.startAll()
        #expect(await cluster.waitForHeight(3))
        let node = try #require(cluster.nodes[0])
        #expect(await Self.everyNodeStores("isolated", submittedTo: node, in: cluster),
                "every node's child committed the write, and its node stored it")
        #expect(try await cluster.agree(upTo: 3))
        await cluster.stopAll()
    }

    /// A plugin that segfaults in commit_block once: no node stops, the
    /// federation finalizes on, the crashed node's child is restarted from
    /// the committed state and the block applied again; every node agrees.
    @Test func aSegfaultInCommitRestartsTheChildNotTheNode() async throws {
        let cluster = try LocalCluster(plugin: try await CCompiler.fixture(), isolation: Self.isolation)
        defer { cluster.removeDirectories() }
        let marker = try makeTemporaryDirectory("baton-segv") + "/crashed"
        try await cluster.startAll()
        #expect(await cluster.waitForHeight(3))
        let node = try #require(cluster.nodes[0])
        guard case .accepted = await node.submit(Array("segv-once:\(marker)".utf8)) else {
            Issue.record("not admitted")
            return
        }
        #expect(await waitUntil(seconds: 30) { FileManager.default.fileExists(atPath: marker) }, "a child crashed")
        let crashedAt = await cluster.heights().compactMap { $0 }.max() ?? 0
        #expect(await cluster.waitForHeight(crashedAt + 5, seconds: 30), "every node is at the head again")
        // Every node's child (the restarted one too) applies what comes next.
        #expect(await Self.everyNodeStores("survived", submittedTo: node, in: cluster))
        for peer in cluster.nodes.compactMap({ $0 }) { #expect(await peer.stopReason == nil) }
        #expect(try await cluster.agree(upTo: crashedAt + 5), "the restarted child's state agrees (AA-1 would refuse otherwise)")
        await cluster.stopAll()
    }

    /// A plugin that crashes on one block every time: after three crashes
    /// the node stops, naming the block, its height and the call.
    ///
    /// Every node's plugin crashes on that block, so the federation stops
    /// with it; which nodes get to commit it (and so stop, rather than wait
    /// for a quorum that is gone) depends on who learned of its finality
    /// before the second node stopped. At least the first to finalize it
    /// does, so the test follows whichever nodes stop, not one chosen ahead.
    @Test func threeCrashesOnOneBlockStopTheNodeNamingIt() async throws {
        let cluster = try LocalCluster(plugin: try await CCompiler.fixture(), isolation: Self.isolation)
        defer { cluster.removeDirectories() }
        try await cluster.startAll()
        #expect(await cluster.waitForHeight(2))
        let nodes = cluster.nodes.compactMap { $0 }
        guard case .accepted = await nodes[0].submit(Array("segv-always".utf8)) else {
            Issue.record("not admitted")
            return
        }
        func reasons() async -> [String] {
            var found: [String] = []
            for node in nodes { if let reason = await node.stopReason { found.append(reason) } }
            return found
        }
        #expect(await waitUntil(seconds: 60) { await !reasons().isEmpty }, "a node that finalized the block stopped")
        for reason in await reasons() {
            #expect(reason.contains("died 3 times applying block") && reason.contains("at height") && reason.contains("commit_block"),
                    "\(reason)")
        }
        await cluster.stopAll()
    }

    /// A plugin that cannot start in its child is refused when the node
    /// starts, with the plugin's own reason (not at the first block).
    @Test func aPluginThatCannotStartInItsChildIsRefusedAtStart() async throws {
        let cluster = try LocalCluster(plugin: try await CCompiler.fixture(), pluginConfig: "create-fails", isolation: Self.isolation)
        defer { cluster.removeDirectories() }
        await #expect { try await cluster.start(0) } throws: { "\($0)".contains("fixture: config says fail") }
    }

    /// A query that hangs past its budget: the side lane answers 503, the
    /// child is killed (a hang), and the next call restarts it.
    @Test func aHungCallKillsTheChildAndTheNextCallRestartsIt() async throws {
        var budgets = PluginBudgets()
        budgets.queryMs = 300
        let cluster = try LocalCluster(plugin: try await CCompiler.fixture(["FIXTURE_SECOND_INSTANCE"], name: "libfixture-second.so"),
                                       pluginBudgets: budgets, isolation: Self.isolation)
        defer { cluster.removeDirectories() }
        try await cluster.startAll()
        #expect(await cluster.waitForHeight(2))
        let node = try #require(cluster.nodes[0])
        // No answer from the hung call (HTTP 503 either way): the side lane's
        // at the budget, or — when the watchdog's thread is late on a loaded
        // machine — the child killed at twice the budget.
        await #expect { _ = try await node.query(Array("slow:20000".utf8)) } throws: { error in
            error is SideCallError || (error as? ApplicationError)?.kind == .crashed
        }
        #expect(try await node.query(Array("echo".utf8)) == Array("echo".utf8), "a fresh child answers")
        #expect(await cluster.waitForHeight((await cluster.heights().compactMap { $0 }.max() ?? 0) + 3))
        await cluster.stopAll()
    }
}
