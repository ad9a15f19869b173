import BatonCrypto
import Consensus
import Foundation
import Logging
import Node
import PluginHost
import Simulation
import Storage

/// N real nodes in one process: the real loop (`ConsensusNode`), real RocksDB
/// in temporary directories, a real `.so` plugin loaded with dlopen — over an
/// `InMemoryNetwork` instead of TCP. A node can be stopped and started again
/// from its directory, as after a crash or a restart.
public final class LocalCluster: @unchecked Sendable {
    public let members: SimulatedCommittee
    public let network = InMemoryNetwork()
    /// What the nodes logged at info and above, for a failing test to print.
    public let recentLog = RecentLog()
    public let directories: [String]
    public let plugin: String
    public let consensus: ConsensusConfig
    let pluginConfig: String
    let pendingDeadlineMs: UInt64
    let pluginBudgets: PluginBudgets
    let sideLane: PluginSideLane.Limits
    let isolation: PluginIsolation
    /// Every node's clock (the system's unless a test gives its own).
    let clock: any NodeClock
    /// Wraps each node's store (tests record what it writes).
    let wrapStore: @Sendable (Int, NodeStore) -> any ConsensusStore
    /// Wraps each node's transport (tests record what it sends).
    let wrapTransport: @Sendable (Int, any PeerTransport) -> any PeerTransport
    public private(set) var nodes: [ConsensusNode?]
    /// As `[storage] state_sync` absent: an empty node whose peers pruned its first blocks stops to sync.
    public var syncsWhenPeersPruned = false
    private var tasks: [Task<Void, any Error>?]

    /// Short timeouts: a test cluster finalizes a block every few milliseconds.
    public static var fastConsensus: ConsensusConfig {
        var config = ConsensusConfig()
        config.pacemaker.timeoutMsBase = 400
        config.pacemaker.timeoutMsMax = 2_000
        config.pacemaker.idleBlockIntervalMs = 20
        return config
    }

    /// `plugin`: a shipped plugin's name, or a path to a `.so`.
    /// `members`: the committee (fresh keys by default; a test that wraps a
    /// transport with a member's key builds it first).
    /// `followers`: nodes beyond the committee, holding its spare keys
    /// (`SimulatedCommittee(spares:)`); they follow the chain without a vote.
    public init(n: Int = 4, followers: Int = 0, plugin: String = "kvstore", consensus: ConsensusConfig = LocalCluster.fastConsensus,
                members: SimulatedCommittee? = nil, pluginConfig: String = "", pendingDeadlineMs: UInt64 = 10_000,
                pluginBudgets: PluginBudgets = PluginBudgets(), sideLane: PluginSideLane.Limits = PluginSideLane.Limits(),
                isolation: PluginIsolation = .inProcess, clock: any NodeClock = SystemClock(),
                wrapStore: @escaping @Sendable (Int, NodeStore) -> any ConsensusStore = { $1 },
                wrapTransport: @escaping @Sendable (Int, any PeerTransport) -> any PeerTransport = { $1 }) throws {
        self.members = members ?? SimulatedCommittee(n: n, realCrypto: true, spares: followers)
        self.pluginConfig = pluginConfig
        self.pendingDeadlineMs = pendingDeadlineMs
        self.pluginBudgets = pluginBudgets
        self.sideLane = sideLane
        self.isolation = isolation
        self.clock = clock
        directories = try (0..<(n + followers)).map { _ in try makeTemporaryDirectory("baton-local") }
        self.plugin = plugin
        self.consensus = consensus
        self.wrapStore = wrapStore
        self.wrapTransport = wrapTransport
        nodes = Array(repeating: nil, count: n + followers)
        tasks = Array(repeating: nil, count: n + followers)
    }

    public var count: Int { nodes.count }

    /// Builds node `i` from its directory (a fresh store the first time) and
    /// runs it. The building blocks a thread — RocksDB opens and syncs, dlopen,
    /// a plugin child's start — so it runs off the cooperative pool (see `offThePool`).
    public func start(_ i: Int) async throws {
        try await offThePoolThrowing { try self.startBlocking(i) }
    }

    private func startBlocking(_ i: Int) throws {
        precondition(nodes[i] == nil, "node \(i) is running")
        let directory = directories[i]
        let store = try NodeStore(directory: directory, genesis: members.genesis, create: true)
        let inputs = InputQueue()
        let library = try PluginLibrary.load(path: plugin.contains("/") ? plugin : Paths.shippedPlugin(plugin))
        let printed: Logger.Level = ProcessInfo.processInfo.environment["BATON_LOCAL_DEBUG"] != nil ? .debug : .warning
        let logger = Logger(label: "baton.local.\(i)") { [recentLog] label in
            var console = StreamLogHandler.standardOutput(label: label)
            console.logLevel = printed
            return MultiplexLogHandler([console, recentLog.handler(label: label)])
        }
        let app = try isolation.application(library: library, config: Array(pluginConfig.utf8),
                                            store: RocksAppStateStore(store, plugin: library.info.name), budgets: pluginBudgets,
                                            logger: logger, onCompletion: { inputs.complete($0) })
        let key = members.keys[i]
        let parts = NodeParts(identity: key, committee: members.committee, genesis: members.genesis,
                              store: wrapStore(i, store), app: app, inputs: inputs,
                              transport: wrapTransport(i, network.transport(for: key.publicKey)),
                              clock: clock, consensus: consensus, logger: logger)
        var configured = parts
        configured.pendingDeadlineMs = pendingDeadlineMs
        configured.pluginBudgets = pluginBudgets
        configured.sideLane = sideLane
        configured.syncsWhenPeersPruned = syncsWhenPeersPruned
        // Addresses nobody dials (the network is in memory), as a genesis would give them.
        configured.memberAddresses = members.committee.members.indices.map { "127.0.0.1:\(7000 + $0)" }
        let node = try ConsensusNode(parts: configured)
        network.attach(key.publicKey, to: inputs)
        nodes[i] = node
        tasks[i] = Task { try await node.run() }
    }

    public func startAll() async throws {
        try await offThePoolThrowing { for i in self.nodes.indices { try self.startBlocking(i) } }
    }

    /// Stops node `i` as `baton node` does on SIGTERM: the loop ends, the
    /// network detaches it, the store closes.
    public func stop(_ i: Int) async {
        guard let node = nodes[i] else { return }
        await node.shutdown()
        _ = await tasks[i]?.result
        nodes[i] = nil
        tasks[i] = nil
    }

    public func stopAll() async { for i in nodes.indices { await stop(i) } }

    /// Removes the nodes' directories (after `stopAll`).
    public func removeDirectories() {
        for directory in directories { try? FileManager.default.removeItem(atPath: directory) }
    }

    /// Finalized heights of the running nodes (nil: stopped).
    public func heights() async -> [Height?] {
        var result: [Height?] = []
        for node in nodes { result.append(await node?.status.finalizedHeight) }
        return result
    }

    /// Each node's epoch, height, view, mempool and stop reason, then the last
    /// `lines` of what the nodes logged: what a failing test prints.
    public func report(lines: Int = 200) async -> String {
        var out = ["cluster:"]
        for (i, node) in nodes.enumerated() {
            guard let node else { out.append("  node \(i): stopped"); continue }
            let status = await node.status
            out.append("  node \(i): epoch \(await node.epoch), member \(await node.memberIndex.map(String.init) ?? "-"), "
                       + "height \(status.finalizedHeight), view \(status.view), peers \(status.peers), "
                       + "mempool \(await node.mempool.count), stopped: \(await node.stopReason ?? "no")")
        }
        out.append("last \(lines) log lines (info and above):")
        out += recentLog.lines(last: lines).map { "  " + $0 }
        return out.joined(separator: "\n")
    }

    /// Waits until every node in `which` (default: all running) has finalized `height`.
    public func waitForHeight(_ height: Height, nodes which: [Int]? = nil, seconds: Double = 60) async -> Bool {
        let indices = which ?? nodes.indices.filter { nodes[$0] != nil }
        return await waitUntil(seconds: seconds) {
            for i in indices {
                guard let node = nodes[i], await node.status.finalizedHeight >= height else { return false }
            }
            return true
        }
    }

    /// Whether every running node finalized the same block at each height up to `height`.
    public func agree(upTo height: Height) async throws -> Bool {
        let running = nodes.compactMap { $0 }
        for h in 1...max(1, height) {
            var ids = Set<BlockID>()
            for node in running { if let block = try await node.finalizedBlock(at: h) { ids.insert(block.id) } }
            if ids.count > 1 { return false }
        }
        return true
    }
}
