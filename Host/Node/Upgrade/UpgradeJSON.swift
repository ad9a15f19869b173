import BatonCrypto
import Consensus
import PluginHost
import Governance

/// `GET /v1/upgrade` and `baton upgrade status`: what the chain decided.
enum UpgradeJSON {
    static func plan(_ plan: UpgradePlan) -> [String: Any] {
        ["id": plan.id.hex, "chainID": plan.chainID.hex, "fromHeight": plan.fromHeight,
         "expiresAtHeight": plan.expiresAtHeight, "plugin": plan.plugin, "version": plan.pluginVersion,
         "sha256": plan.sha256.hex]
    }

    /// `/v1/status` `upgrades`: every decided plan, when it was decided and
    /// from which height it runs.
    static func history(_ schedule: UpgradeSchedule, height: Height) -> [[String: Any]] {
        schedule.decided.map { decision in
            ["plan": decision.plan.id.hex, "plugin": decision.plan.plugin, "version": decision.plan.pluginVersion,
             "fromHeight": decision.plan.fromHeight, "decidedAt": decision.decidedAt,
             "inEffect": decision.plan.fromHeight <= height]
        }
    }

    static func status(_ schedule: UpgradeSchedule, height: Height, chainID: Bytes32, running: PluginInfo) -> [String: Any] {
        let inForce = schedule.plan(at: height)
        return [
            "height": height,
            "leadBlocksMin": UpgradeSchedule.leadBlocksMin,
            "application": ["plugin": running.name, "version": running.version,
                            "plan": inForce.map { $0.id.hex } as Any] as [String: Any],
            "open": schedule.open.values.sorted { $0.proposedAt < $1.proposedAt }.map { entry in
                plan(entry.plan).merging(["proposedAt": entry.proposedAt, "approvedWeight": entry.weight,
                                          "approvers": entry.approvers.map(\.hex)]) { $1 }
            },
            "decided": schedule.decided.map { decision in
                plan(decision.plan).merging(["decidedAt": decision.decidedAt, "approvers": decision.approvers.map(\.hex),
                                             "inEffect": decision.plan.fromHeight <= height]) { $1 }
            },
        ]
    }
}
