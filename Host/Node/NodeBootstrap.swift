import BatonCrypto
import BatonNetwork
import Consensus
import Foundation
import Logging
import PluginHost
import Storage
import Governance

/// Everything a node is made of. `NodeBootstrap` builds it from `node.toml`;
/// in-process tests build it from their own parts (an in-memory transport, a
/// recording store) — the loop cannot tell the difference.
public struct NodeParts {
    public var identity: PrivateKey
    public var committee: Committee
    public var genesis: Block
    public var store: any ConsensusStore
    public var app: any Application
    /// Where the transport and the app deliver; the node's loop consumes it.
    public var inputs: InputQueue
    public var transport: any PeerTransport
    public var clock: any NodeClock
    public var consensus: ConsensusConfig
    public var mempool: Mempool.Limits
    public var blockSync: BlockSyncServer.Limits
    public var logger: Logger
    /// The SHA-256 of the plugin's `.so`, and whether the genesis pins it
    /// (shown in `/v1/status` and on the status page).
    public var pluginSHA256: String?
    public var pluginPinned = false
    /// A pending app answer (produce/validate) that has not come by then
    /// counts as the plugin's error.
    public var pendingDeadlineMs: UInt64 = 10_000
    /// How long each plugin call may take before it is reported (node.toml `[plugin_budgets]`).
    public var pluginBudgets = PluginBudgets()
    /// Bounds of the side lane that runs check_tx, query and the functions.
    public var sideLane = PluginSideLane.Limits()
    /// Called after every block the app committed (height, state hash).
    public var onCommit: @Sendable (Height, Bytes32) -> Void
    /// Makes the application a decided upgrade plan names: finds its plugin
    /// in the plugin folder, checks the SHA-256, and creates an instance over
    /// the same app state namespace. Throws `UpgradePreparationError` saying
    /// what is missing. Nil: this node cannot upgrade (it waits, see
    /// `ConsensusNode.awaitingPlugin`).
    public var makeApplication: ((UpgradePlan) throws -> any Application)?
    /// The genesis members' consensus addresses (host:port, in committee
    /// order) and listeners: what `GET /v1/committee` shows for epoch 0 and
    /// whom a committee change keeps allowed.
    public var memberAddresses: [String] = []
    public var listeners: [PublicKey] = []
    /// `[storage] state_sync` absent: a node with an empty store whose peers
    /// pruned its first block stops to sync (`ConsensusNode.needsStateSync`).
    public var syncsWhenPeersPruned = false
    /// `[storage] snapshot_serve_bytes_per_second`: nil serves as fast as the disk and link go.
    public var snapshotServeBytesPerSecond: UInt64?

    public init(identity: PrivateKey, committee: Committee, genesis: Block, store: any ConsensusStore,
                app: any Application, inputs: InputQueue, transport: any PeerTransport,
                clock: any NodeClock = SystemClock(), consensus: ConsensusConfig = ConsensusConfig(),
                mempool: Mempool.Limits = Mempool.Limits(), blockSync: BlockSyncServer.Limits = BlockSyncServer.Limits(),
                logger: Logger = Logger(label: "baton.node"), onCommit: @escaping @Sendable (Height, Bytes32) -> Void = { _, _ in }) {
        self.identity = identity
        self.committee = committee
        self.genesis = genesis
        self.store = store
        self.app = app
        self.inputs = inputs
        self.transport = transport
        self.clock = clock
        self.consensus = consensus
        self.mempool = mempool
        self.blockSync = blockSync
        self.logger = logger
        self.onCommit = onCommit
    }
}

/// Turns a node's config file (and the genesis it names) into `NodeParts`:
/// the key, the committee, RocksDB, the plugin, the TCP transport. Every
/// failure is a `BootstrapError` that says what to fix.
public enum NodeBootstrap {
    /// - Parameter equivocate: demo only — the node acts as a Byzantine
    ///   leader (see `EquivocatingTransport`).
    public static func parts(config: NodeConfig, logger: Logger = Logger(label: "baton.node"), equivocate: Bool = false,
                             onCommit: @escaping @Sendable (Height, Bytes32) -> Void = { _, _ in }) throws(BootstrapError) -> NodeParts {
        let checked = try check(config)
        let (genesisFile, committee, genesis, key) = (checked.genesisFile, checked.committee, checked.genesis, checked.key)
        let store = try openStore(config: config, genesis: genesis, owner: key.publicKey, logger: logger)
        let inputs = InputQueue()
        let app: any Application
        let pluginSHA256 = checked.pluginSHA256
        let locator = checked.locator
        let pluginConfigBytes = Array((genesisFile.pluginConfig + (config.plugin_config.map { "\n" + $0 } ?? "")).utf8)
        let (budgets, sideLane) = try pluginBudgets(config.plugin_budgets)
        let isolation = try pluginIsolation(config.plugin_isolation)
        do {
            app = try isolation.application(library: checked.library, config: pluginConfigBytes,
                                            store: RocksAppStateStore(store, plugin: genesisFile.application),
                                            budgets: budgets, logger: logger, onCompletion: { inputs.complete($0) })
        } catch {
            store.close()
            throw BootstrapError(.plugin("\(error)"))
        }
        let (consensus, limits) = (checked.consensus, checked.limits)
        let signer = Secp256k1Signer(key)
        var transport: any PeerTransport = tcpTransport(checked, inputs: inputs, logger: logger)
        if equivocate {
            transport = EquivocatingTransport(wrapping: transport, signer: signer, committee: committee)
        }
        var parts = NodeParts(identity: key, committee: committee, genesis: genesis, store: store, app: app, inputs: inputs,
                              transport: transport, consensus: consensus, mempool: limits, logger: logger, onCommit: onCommit)
        if let deadline = config.pending_deadline_ms { parts.pendingDeadlineMs = max(deadline, 1) }
        (parts.pluginBudgets, parts.sideLane) = (budgets, sideLane)
        parts.pluginSHA256 = pluginSHA256
        parts.memberAddresses = genesisFile.members.map(\.address)
        parts.listeners = genesisFile.listenerKeys
        parts.pluginPinned = genesisFile.pluginSHA256 != nil
        parts.syncsWhenPeersPruned = config.storage?.state_sync == nil
        parts.snapshotServeBytesPerSecond = try snapshotServeRate(config.storage)
        let application = genesisFile.application
        let digests = PluginDigestCache()
        parts.makeApplication = { plan in
            try UpgradePreparation.application(for: plan, locator: locator, digests: digests, config: pluginConfigBytes,
                                               store: RocksAppStateStore(store, plugin: application), logger: logger,
                                               isolation: isolation, budgets: budgets, onCompletion: { inputs.complete($0) })
        }
        return parts
    }

    /// The TCP transport of a checked config, delivering into `inputs`.
    static func tcpTransport(_ checked: NodeCheck, inputs: InputQueue, logger: Logger) -> TCPTransport {
        let (committee, key) = (checked.committee, checked.key)
        let network = Transport(chainID: committee.chainID, signer: Secp256k1Signer(key), verifier: Secp256k1Verifier(),
                                members: committee.members.map(\.publicKey), listeners: checked.genesisFile.listenerKeys,
                                dialsEveryone: committee.index(of: key.publicKey) == nil, logger: logger,
                                deliver: { inputs.deliver(from: $0, $1) })
        return TCPTransport(network, listenHost: checked.listen.host, listenPort: checked.listen.port,
                            peers: checked.addresses.map { Transport.Peer(key: $0.0, host: $0.1, port: $0.2) })
    }

    /// Creates the store in a new data directory; anything else opens as it
    /// is or is refused (see `NodeStore.init`): never re-initialised.
    static func openStore(config: NodeConfig, genesis: Block, owner: PublicKey, logger: Logger) throws(BootstrapError) -> NodeStore {
        let retain = try retainedBlocks(config.storage)
        let snapshots = try snapshotSchedule(config.storage)
        let dataDir = config.resolve(config.data_dir)
        _ = try DataDirectory.prepare(dataDir)
        let store: NodeStore
        do { store = try NodeStore(directory: dataDir, genesis: genesis, create: true, owner: owner) } catch {
            throw BootstrapError(.store(dataDir, "\(error)"))
        }
        if config.storage?.sync_writes == false {
            store.syncSafetyWrites = false
            logger.warning("storage: sync_writes = false — safety data is not fsynced; for benchmarks only")
        }
        // Snapshots first: the pruner keeps the blocks from the newest one up.
        if let (interval, kept) = snapshots {
            store.startSnapshots(interval: interval, kept: kept) { error in
                logger.warning("storage: a snapshot failed; the next interval tries again", metadata: ["error": "\(error)"])
            }
        }
        if let retain {
            // The node closes the store when it stops, which stops the pruner.
            store.startPruning(retain: retain) { error in
                logger.error("storage: pruning stopped; every block is kept from here on", metadata: ["error": "\(error)"])
            }
            logger.info("storage: keeping the newest \(retain) finalized blocks",
                        metadata: ["oldest_kept": "\(store.oldestRetainedHeight)"])
        }
        return store
    }

    /// node.toml `[storage] snapshot_interval` and `snapshots_kept`: nil takes none.
    public static func snapshotSchedule(_ table: NodeConfig.Storage?) throws(BootstrapError) -> (interval: Height, kept: Int)? {
        if let kept = table?.snapshots_kept, !(1...16).contains(kept) {
            throw BootstrapError(.storage("snapshots_kept = \(kept): must be 1 to 16"))
        }
        guard let interval = table?.snapshot_interval else { return nil }
        guard interval >= 1 else { throw BootstrapError(.storage("snapshot_interval = 0: must be at least 1 (heights); remove it to take none")) }
        return (interval, table?.snapshots_kept ?? 2)
    }

    /// node.toml `[storage] snapshot_serve_bytes_per_second`: nil, no cap.
    public static func snapshotServeRate(_ table: NodeConfig.Storage?) throws(BootstrapError) -> UInt64? {
        guard let rate = table?.snapshot_serve_bytes_per_second else { return nil }
        guard rate >= SnapshotServer.bytesPerSecondMin else {
            throw BootstrapError(.storage("snapshot_serve_bytes_per_second = \(rate): must be at least \(SnapshotServer.bytesPerSecondMin) (1 MiB/s: a syncing peer gives up on a piece after 10 s); remove it for no cap"))
        }
        return rate
    }

    /// node.toml `[storage] retain_blocks`: nil keeps every block.
    public static func retainedBlocks(_ table: NodeConfig.Storage?) throws(BootstrapError) -> Height? {
        guard let retain = table?.retain_blocks else { return nil }
        guard retain >= NodeStore.retainedBlocksMin else {
            throw BootstrapError(.storage("retain_blocks = \(retain): must be at least \(NodeStore.retainedBlocksMin) "
                + "(the app state hashes' window, and room for peers to catch up); remove it to keep every block"))
        }
        return retain
    }

    static func consensusConfig(_ table: NodeConfig.Consensus?) throws(BootstrapError) -> ConsensusConfig {
        var consensus = ConsensusConfig()
        if let c = table {
            if let v = c.timeout_ms_base { consensus.pacemaker.timeoutMsBase = v }
            if let v = c.timeout_ms_max { consensus.pacemaker.timeoutMsMax = v }
            if let v = c.idle_block_interval_ms { consensus.pacemaker.idleBlockIntervalMs = v }
            if let v = c.backoff_permille { consensus.pacemaker.backoffPermille = v }
            if let v = c.tolerated_failures { consensus.pacemaker.toleratedFailures = v }
        }
        if let problem = consensus.pacemaker.problem() { throw BootstrapError(.consensus(problem)) }
        return consensus
    }

    /// node.toml `plugin_isolation`: "in-process" (default) or "process".
    static func pluginIsolation(_ name: String?) throws(BootstrapError) -> PluginIsolation {
        guard let name else { return .inProcess }
        guard let isolation = PluginIsolation(name: name, executable: PluginLocator.executablePath()) else {
            throw BootstrapError(.pluginIsolation("plugin_isolation = \"\(name)\": must be one of \(PluginIsolation.names.joined(separator: ", "))"))
        }
        return isolation
    }

    public static func pluginBudgets(_ table: NodeConfig.PluginBudgetTable?) throws(BootstrapError)
        -> (PluginBudgets, PluginSideLane.Limits)
    {
        var budgets = PluginBudgets()
        var lane = PluginSideLane.Limits()
        guard let t = table else { return (budgets, lane) }
        let values: [(String, UInt64?, WritableKeyPath<PluginBudgets, UInt64>)] = [
            ("check_tx_ms", t.check_tx_ms, \.checkTxMs), ("query_ms", t.query_ms, \.queryMs),
            ("function_ms", t.function_ms, \.functionMs), ("produce_block_ms", t.produce_block_ms, \.produceBlockMs),
            ("validate_block_ms", t.validate_block_ms, \.validateBlockMs),
            ("commit_block_ms", t.commit_block_ms, \.commitBlockMs),
            ("block_transactions_ms", t.block_transactions_ms, \.blockTransactionsMs),
        ]
        for (name, value, path) in values {
            guard let value else { continue }
            guard (1...3_600_000).contains(value) else {
                throw BootstrapError(.pluginBudgets("\(name) = \(value): must be 1 ms to 1 hour"))
            }
            budgets[keyPath: path] = value
        }
        let bounds: [(String, Int?, WritableKeyPath<PluginSideLane.Limits, Int>, ClosedRange<Int>)] = [
            ("side_queue_max", t.side_queue_max, \.queueMax, 1...1_000_000),
            ("side_per_peer_max", t.side_per_peer_max, \.perPeerMax, 1...10_000),
            ("side_workers_max", t.side_workers_max, \.workersMax, 1...16),
        ]
        for (name, value, path, range) in bounds {
            guard let value else { continue }
            guard range.contains(value) else {
                throw BootstrapError(.pluginBudgets("\(name) = \(value): must be \(range.lowerBound) to \(range.upperBound)"))
            }
            lane[keyPath: path] = value
        }
        return (budgets, lane)
    }

    static func mempoolLimits(_ table: NodeConfig.Mempool?) throws(BootstrapError) -> Mempool.Limits {
        var limits = Mempool.Limits()
        if let m = table {
            if let v = m.transactions_max { limits.transactionsMax = v }
            if let v = m.bytes_max { limits.bytesMax = v }
            if let v = m.batch_transactions_max { limits.batchTransactionsMax = v }
            if let v = m.batch_bytes_max { limits.batchBytesMax = v }
        }
        guard limits.batchTransactionsMax >= 1, limits.transactionsMax >= limits.batchTransactionsMax else {
            throw BootstrapError(.mempool("need 1 <= batch_transactions_max <= transactions_max"))
        }
        return limits
    }
}
