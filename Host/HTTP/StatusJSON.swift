import BatonAPI
import Hummingbird
import Node

/// `GET /v1/status`: the node's state, or — while its loop is held by a
/// stuck plugin call and cannot answer — what the loop last published, with
/// the stuck call named (issue 29: the operator learns the cause while it
/// happens, and the route never times out with the node).
extension HTTPAPI {
    /// How long `/v1/status` waits for the node's actor before it answers
    /// from the published status.
    static let statusWaitMs = 500

    static func status(of node: ConsensusNode) async -> Response {
        await node.refreshPeers()
        let status = await node.status
        let restored = await node.restoredState
        let plugin = await node.plugin
        let pluginStatus = PluginStatus(name: plugin.name, version: plugin.version, sha256: node.pluginSHA256,
                                        pinned: node.pluginPinned, plan: Nullable(wrappedValue: await node.applicationPlan?.id.hex),
                                        stuck: stuckCalls(node), sideQueue: sideQueue(node))
        let leaders = LeaderSummary(election: await node.leaderElectionName, skippedViews: status.leaderSkippedViews,
                                    members: await node.leaderStandings.map { standing in
                                        LeaderSummary.Standing(member: Int(standing.member), standing: standing.kind.rawValue,
                                                               proposed: standing.proposed, failed: standing.failed, voted: standing.voted)
                                    })
        return json(.ok, NodeStatus(
            node: await node.publicKey.hex, chainID: node.chainID.hex, member: await node.memberIndex.map { Int($0) },
            view: status.view, finalizedHeight: status.finalizedHeight, finalizedID: status.finalizedID.hex,
            stateHash: status.stateHash.hex, peers: status.peers, mempool: await node.mempool.count,
            duplicateKeyConnections: status.duplicateKeyConnections, plugin: pluginStatus,
            // AA-3 and AA-1 (see AppAgreement): why a node stopped, or refuses to vote.
            appDiverged: status.appDivergence?.apiValue, evidence: await node.evidence.total,
            upgrade: await node.upgradeReadiness,
            // The history: every decided plan, when it was decided and from which height it runs.
            upgrades: UpgradeJSON.history(await node.upgrades, height: status.finalizedHeight),
            // The committee's epoch and every change (GET /v1/committee has the members).
            epoch: await node.epoch, committeeChanges: CommitteeJSON.history(await node.epochRecords),
            appState: AppStateSummary(refusedProposals: status.appRefusals, lastRefusal: status.lastAppRefusal?.apiValue),
            // LR-3: who leads less, and why (docs/consensus.md, "Leader reputation").
            leaders: leaders,
            storage: StorageSummary(oldestRetainedHeight: node.oldestRetainedHeight, retainBlocks: node.retainedBlocks,
                                    appRetainHeight: await node.appRetainHeight, restoredFrom: restored?.height,
                                    restoredStateCheck: restored?.check.rawValue, cannotCatchUp: await node.cannotCatchUp)))
    }

    /// The answer while the actor is busy: only what is readable without it.
    static func publishedStatus(of node: ConsensusNode) -> Response {
        let status = node.lastPublishedStatus
        let plugin = PluginStatus(name: node.watchdog.plugin, version: nil, sha256: node.pluginSHA256, pinned: node.pluginPinned,
                                  plan: nil, stuck: stuckCalls(node), sideQueue: sideQueue(node))
        return json(.ok, BusyNodeStatus(
            node: node.identity.hex, chainID: node.chainID.hex, view: status.view, finalizedHeight: status.finalizedHeight,
            finalizedID: status.finalizedID.hex, stateHash: status.stateHash.hex, peers: status.peers, plugin: plugin,
            appDiverged: status.appDivergence?.apiValue,
            busy: "the node's loop did not answer within \(statusWaitMs) ms (see plugin.stuck); these figures are from its last step"))
    }

    /// Plugin calls past their budget now (`PluginWatchdog`), longest first.
    static func stuckCalls(_ node: ConsensusNode) -> [StuckCall] {
        node.watchdog.stuck.map { overrun in
            StuckCall(call: overrun.call.name, height: overrun.height, elapsedMs: overrun.elapsedMs,
                      budgetMs: overrun.budgetMs, text: overrun.text)
        }
    }

    static func sideQueue(_ node: ConsensusNode) -> SideQueue {
        SideQueue(waiting: node.sideLane.waiting, workers: node.sideLane.workerCount, capacity: node.sideLane.limits.queueMax)
    }
}
