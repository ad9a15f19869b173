import Prometheus

/// The node's metrics, served as Prometheus text at `/metrics`. One registry
/// per node (no global metrics system), so several nodes can share a process.
public final class NodeMetrics: Sendable {
    public let registry = PrometheusCollectorRegistry()
    let view: Gauge
    let finalizedHeight: Gauge
    let peers: Gauge
    let mempoolSize: Gauge
    let droppedMessages: Gauge
    let refusedConnections: Gauge
    let badFrames: Gauge
    let duplicateKeyConnections: Gauge
    /// Peer messages the input queue dropped under overload (see `InputQueue`).
    let droppedInputs: Gauge
    let viewsByQC: Counter
    let viewsByTC: Counter
    let leaderSkipped: Counter
    let timeoutsSent: Counter
    let committedTransactions: Counter
    /// Proposer's timestamp to local commit, in milliseconds.
    let commitLatency: ValueHistogram
    /// 1 once this node's app disagreed with a quorum-certified state hash (AA-3).
    let appDiverged: Gauge
    let upgradeReady: Gauge
    let awaitingPlugin: Gauge
    let upgradeSwitchGapMs: Gauge
    let epoch: Gauge
    let appStateRefusals: Counter
    let evidence: Counter
    let pluginDeadlines: Counter
    /// Every synchronous plugin call's duration, per call (`PluginWatchdog`),
    /// in `PluginCall.allCases` order: found by the call's position, not by
    /// hashing its name — the side lane records one per transaction's
    /// `check_tx`, and the `Dictionary` lookup was 0.2 % of a loaded machine.
    private let pluginCallSecondsByCall: [DurationHistogram]
    func pluginCallSeconds(_ call: PluginCall) -> DurationHistogram { pluginCallSecondsByCall[call.position] }
    /// Calls that passed their budget (`PluginBudgets`), counted once each.
    let pluginOverruns: Counter
    /// Client calls answered 503 because the side lane's queue was full.
    let sideLaneFull: Counter
    /// Gossiped transaction batches not checked because their peer already
    /// had `PluginSideLane.Limits.perPeerMax` waiting (they come again in a proposal).
    let sideLaneGossipDropped: Counter

    public init() {
        view = registry.makeGauge(name: "baton_view", help: "Current consensus view")
        finalizedHeight = registry.makeGauge(name: "baton_finalized_height", help: "Height of the last committed block")
        peers = registry.makeGauge(name: "baton_peers_connected", help: "Peers with an open, authenticated connection")
        mempoolSize = registry.makeGauge(name: "baton_mempool_transactions", help: "Transactions waiting for a block")
        droppedMessages = registry.makeGauge(name: "baton_network_dropped_messages", help: "Messages dropped on full send queues since start")
        refusedConnections = registry.makeGauge(name: "baton_network_refused_connections", help: "Connections refused in the handshake since start")
        badFrames = registry.makeGauge(name: "baton_network_bad_frames", help: "Connections closed for an oversized or undecodable frame since start")
        duplicateKeyConnections = registry.makeGauge(name: "baton_network_duplicate_key_connections", help: "Connections refused because their key already had a live connection (two processes with one key), since start")
        droppedInputs = registry.makeGauge(name: "baton_input_dropped_peer_messages", help: "Peer messages dropped because the node's input queue was full, since start")
        viewsByQC = registry.makeCounter(name: "baton_views_entered_by_qc_total", help: "Views entered on a quorum certificate")
        viewsByTC = registry.makeCounter(name: "baton_views_entered_by_tc_total", help: "Views entered on a timeout certificate")
        leaderSkipped = registry.makeCounter(name: "baton_views_leader_skipped_total", help: "Views whose stake-drawn leader was passed over: leader reputation (LR-4) or the newcomer grace (EP-5)")
        timeoutsSent = registry.makeCounter(name: "baton_timeouts_sent_total", help: "Timeout messages this node broadcast")
        committedTransactions = registry.makeCounter(name: "baton_committed_transactions_total", help: "Mempool transactions in committed blocks")
        appDiverged = registry.makeGauge(name: "baton_app_diverged", help: "1 if this node's app state disagreed with a quorum-certified one and the node stopped")
        upgradeReady = registry.makeGauge(name: "baton_upgrade_ready", help: "0 while a decided upgrade's plugin cannot be loaded (it must be, by the plan's height); 1 when loaded")
        awaitingPlugin = registry.makeGauge(name: "baton_upgrade_awaiting_plugin", help: "1 while this node applies nothing, waiting for a decided upgrade's plugin")
        epoch = registry.makeGauge(name: "baton_epoch", help: "The committee's epoch: 0 for the genesis committee, one more at each committee change")
        upgradeSwitchGapMs = registry.makeGauge(name: "baton_upgrade_switch_gap_ms", help: "The last application switch: ms between the old application's last commit and the new one's first")
        appDiverged.set(Double(0))
        appStateRefusals = registry.makeCounter(name: "baton_app_state_refusals_total", help: "Proposals not voted for because their app state hash differs from this node's app's")
        evidence = registry.makeCounter(name: "baton_evidence_total", help: "Misbehavior proofs this node kept (double proposals, votes, timeouts); GET /v1/evidence")
        pluginDeadlines = registry.makeCounter(name: "baton_plugin_deadlines_total", help: "Pending plugin answers that did not come within pending_deadline_ms (counted as errors)")
        let callBuckets: [Duration] = [.microseconds(10), .microseconds(100), .milliseconds(1), .milliseconds(10),
                                       .milliseconds(100), .seconds(1), .seconds(10), .seconds(60)]
        let registry = self.registry
        pluginCallSecondsByCall = PluginCall.allCases.map { call in
            registry.makeDurationHistogram(name: "baton_plugin_call_seconds", labels: [("call", call.name)],
                                           buckets: callBuckets, help: "Synchronous plugin calls' durations, per call")
        }
        pluginOverruns = registry.makeCounter(name: "baton_plugin_overruns_total", help: "Plugin calls that ran past their budget (node.toml [plugin_budgets]); each is logged while it runs")
        sideLaneFull = registry.makeCounter(name: "baton_plugin_side_queue_full_total", help: "check_tx, query and function calls answered 503 because the plugin's side queue was full")
        sideLaneGossipDropped = registry.makeCounter(name: "baton_plugin_side_gossip_dropped_total", help: "Gossiped transaction batches not checked because their peer already had its bound of batches waiting")
        commitLatency = registry.makeValueHistogram(
            name: "baton_commit_latency_ms", buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1_000, 2_000, 5_000, 10_000],
            help: "From the proposer's timestamp to the local commit, in milliseconds")
    }

    public var text: String { registry.emitToString() }
}
