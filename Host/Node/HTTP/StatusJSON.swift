import Foundation
import Hummingbird

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
        let plugin = await node.plugin
        let key = await node.publicKey
        let index = await node.memberIndex
        let mempool = await node.mempool.count
        return json(.ok, [
            "node": key.hex, "chainID": node.chainID.hex, "member": index.map { Int($0) } as Any, "view": status.view,
            "finalizedHeight": status.finalizedHeight, "finalizedID": status.finalizedID.hex,
            "stateHash": status.stateHash.hex, "peers": status.peers, "mempool": mempool,
            "duplicateKeyConnections": status.duplicateKeyConnections,
            "plugin": ["name": plugin.name, "version": plugin.version, "sha256": node.pluginSHA256 ?? NSNull(),
                       "pinned": node.pluginPinned,
                       "plan": await node.applicationPlan?.id.hex ?? NSNull(),
                       "stuck": stuckJSON(node), "sideQueue": sideQueueJSON(node)] as [String: Any],
            // AA-3 and AA-1 (see AppAgreement): why a node stopped, or refuses to vote.
            "appDiverged": status.appDivergence?.dictionary ?? NSNull(),
            "evidence": await node.evidence.total,
            "upgrade": await node.upgradeReadiness.json,
            // The history: every decided plan, when it was decided and from which height it runs.
            "upgrades": UpgradeJSON.history(await node.upgrades, height: status.finalizedHeight),
            // The committee's epoch and every change (GET /v1/committee has the members).
            "epoch": await node.epoch,
            "committeeChanges": CommitteeJSON.history(await node.epochRecords),
            "appState": ["refusedProposals": status.appRefusals,
                         "lastRefusal": status.lastAppRefusal?.dictionary ?? NSNull()] as [String: Any],
            // LR-3: who leads less, and why (README, "Leader reputation").
            "leaders": ["election": await node.leaderElectionName, "skippedViews": status.leaderSkippedViews,
                        "members": await node.leaderStandings.map { standing in
                            ["member": Int(standing.member), "standing": standing.kind.rawValue,
                             "proposed": standing.proposed, "failed": standing.failed, "voted": standing.voted] as [String: Any]
                        }] as [String: Any],
        ])
    }

    /// The answer while the actor is busy: only what is readable without it.
    static func publishedStatus(of node: ConsensusNode) -> Response {
        let status = node.lastPublishedStatus
        return json(.ok, [
            "node": node.identity.hex, "chainID": node.chainID.hex, "view": status.view,
            "finalizedHeight": status.finalizedHeight, "finalizedID": status.finalizedID.hex,
            "stateHash": status.stateHash.hex, "peers": status.peers,
            "plugin": ["name": node.watchdog.plugin, "sha256": node.pluginSHA256 ?? NSNull(), "pinned": node.pluginPinned,
                       "stuck": stuckJSON(node), "sideQueue": sideQueueJSON(node)] as [String: Any],
            "appDiverged": status.appDivergence?.dictionary ?? NSNull(),
            "busy": "the node's loop did not answer within \(statusWaitMs) ms (see plugin.stuck); these figures are from its last step",
        ])
    }

    /// Plugin calls past their budget now (`PluginWatchdog`), longest first.
    static func stuckJSON(_ node: ConsensusNode) -> [[String: Any]] {
        node.watchdog.stuck.map { overrun in
            ["call": overrun.call.name, "height": overrun.height.map { $0 as Any } ?? NSNull(),
             "elapsedMs": overrun.elapsedMs, "budgetMs": overrun.budgetMs, "text": overrun.text]
        }
    }

    static func sideQueueJSON(_ node: ConsensusNode) -> [String: Any] {
        ["waiting": node.sideLane.waiting, "workers": node.sideLane.workerCount, "capacity": node.sideLane.limits.queueMax]
    }
}
