import Foundation
import TOMLKit

/// One node's configuration file (TOML). Paths are relative to the file's folder.
///
/// ```toml
/// key_file = "key.json"
/// genesis_file = "../genesis.json"
/// data_dir = "data"
/// listen = "127.0.0.1:7100"
/// api = "127.0.0.1:8100"
/// # plugin_dir = "/opt/baton/plugins"
///
/// [consensus]
/// timeout_ms_base = 1000
/// timeout_ms_max = 30000
/// idle_block_interval_ms = 300
/// ```
public struct NodeConfig: Codable, Sendable {
    public struct Consensus: Codable, Sendable {
        public var timeout_ms_base: UInt64? = nil
        public var timeout_ms_max: UInt64? = nil
        public var idle_block_interval_ms: UInt64? = nil
        public var backoff_permille: UInt64? = nil
        public var tolerated_failures: Int? = nil
        public init() {}
    }

    public struct Mempool: Codable, Sendable {
        public var transactions_max: Int? = nil
        public var bytes_max: Int? = nil
        public var batch_transactions_max: Int? = nil
        public var batch_bytes_max: Int? = nil
        public init() {}
    }

    public var key_file: String
    public var genesis_file: String
    public var data_dir: String
    public var listen: String
    public var api: String? = nil
    public var plugin_dir: String? = nil
    /// Which `.so` implements the genesis's application on this node (name or
    /// path); default: the genesis's plugin. Swapping implementations (e.g. an
    /// interpreter's policy) needs no new genesis; app state stays under the
    /// genesis's application name.
    public var plugin: String? = nil
    /// Node-local plugin config, appended after a newline to the genesis's
    /// `pluginConfig` (e.g. this member's own chain node address).
    public var plugin_config: String? = nil
    /// This node's key is not in the genesis: it joins a running chain as a
    /// follower, and votes once a committee change names it. Without this, a
    /// key the chain does not know is refused (a wrong key_file, most often).
    public var join: Bool? = nil
    public var consensus: Consensus? = nil
    public var mempool: Mempool? = nil
    public var storage: Storage? = nil
    public var http: HTTP? = nil
    /// How long a node that stopped itself (a diverged app, a storage or
    /// safety failure) keeps its HTTP API up before exiting, so status pages
    /// and scrapers see why; default 3000.
    public var stop_linger_ms: UInt64? = nil
    /// How long a plugin's BATON_PENDING answer may take before it counts as
    /// an error (no vote, or no proposal in that view); default 10000.
    public var pending_deadline_ms: UInt64? = nil
    /// node.log's level: trace, debug, info (default), notice, warning, error.
    /// debug shows every input the core dropped and why.
    public var log_level: String? = nil

    public struct Storage: Codable, Sendable {
        /// false: safety data is written without fsync. Benchmarks only: a
        /// crash may then let the node sign twice in one view.
        public var sync_writes: Bool? = nil
        /// Keep the blocks of the newest N finalized heights; older blocks,
        /// their certificates and index are deleted in the background. Absent:
        /// keep everything (an archive). At least `NodeStore.retainedBlocksMin`.
        public var retain_blocks: UInt64? = nil
        /// Take a snapshot of the state every N finalized heights into
        /// `<data_dir>/snapshots` (absent: none), keeping the newest `snapshots_kept` (2).
        public var snapshot_interval: UInt64? = nil
        public var snapshots_kept: Int? = nil
        /// With an empty store: true — restore the peers' newest snapshot
        /// (state sync) before running (a new federation's members, all
        /// empty, start from the genesis at once); absent — run, and sync
        /// only once members holding more than a third of the weight say
        /// they pruned the first block (`ConsensusNode+PrunedPeers`); false —
        /// never, replay by block sync.
        public var state_sync: Bool? = nil
        /// The most bytes per second of snapshot chunks this node serves to
        /// syncing peers, all together (absent: no cap). At least 1 MiB/s,
        /// so a piece is never late enough for the asker to give up on it.
        public var snapshot_serve_bytes_per_second: UInt64? = nil
        public init() {}
    }

    /// `[plugin_budgets]`: how long each plugin call may take before it is
    /// reported (`PluginBudgets`, whose values are the defaults), in ms.
    public struct PluginBudgetTable: Codable, Sendable {
        public var check_tx_ms: UInt64? = nil
        public var query_ms: UInt64? = nil
        public var function_ms: UInt64? = nil
        public var produce_block_ms: UInt64? = nil
        public var validate_block_ms: UInt64? = nil
        public var commit_block_ms: UInt64? = nil
        public var block_transactions_ms: UInt64? = nil
        /// The side lane's bounds (`PluginSideLane.Limits`).
        public var side_queue_max: Int? = nil
        public var side_per_peer_max: Int? = nil
        public var side_workers_max: Int? = nil
        public init() {}
    }

    public var plugin_budgets: PluginBudgetTable? = nil
    /// "in-process" (default: the .so is dlopen'ed into the node) or
    /// "process" (a child `baton plugin-host` runs it; a crash or hang
    /// restarts the child, not the node).
    public var plugin_isolation: String? = nil

    /// `[http]`: the API's bounds (see `HTTPAPI.Limits`).
    public struct HTTP: Codable, Sendable {
        public var connections_max: Int? = nil
        public var idle_timeout_ms: UInt64? = nil
        public var event_streams_max: Int? = nil
    }

    /// The folder the config file is in; relative paths resolve against it.
    public var baseDirectory = ""

    enum CodingKeys: String, CodingKey {
        case key_file, genesis_file, data_dir, listen, api, plugin_dir, plugin, plugin_config, join, consensus, mempool, storage,
             stop_linger_ms, pending_deadline_ms, http, log_level, plugin_budgets, plugin_isolation
    }

    public struct Invalid: Error, CustomStringConvertible, Sendable { public let description: String }

    public static func load(_ path: String) throws(Invalid) -> NodeConfig {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw Invalid(description: "cannot read config file \(path)")
        }
        do {
            var config = try TOMLDecoder().decode(NodeConfig.self, from: String(decoding: data, as: UTF8.self))
            config.baseDirectory = URL(fileURLWithPath: path).deletingLastPathComponent().path
            return config
        } catch {
            throw Invalid(description: "config file \(path) is not valid: \(error)")
        }
    }

    public func resolve(_ relative: String) -> String {
        relative.hasPrefix("/") ? relative : baseDirectory + "/" + relative
    }

    public func toml() throws -> String {
        try TOMLEncoder().encode(self).convert(to: .toml)
    }
}
