import BatonAPI
import BatonCrypto
import Consensus
import PluginHost
import Governance
import Node

/// `GET /v1/upgrade` and `baton upgrade status`: what the chain decided.
enum UpgradeJSON {
    static func plan(_ plan: UpgradePlan) -> UpgradePlanDescription {
        UpgradePlanDescription(id: plan.id.hex, chainID: plan.chainID.hex, fromHeight: plan.fromHeight,
                               expiresAtHeight: plan.expiresAtHeight, plugin: plan.plugin, version: plan.pluginVersion,
                               sha256: plan.sha256.hex)
    }

    /// `/v1/status` `upgrades`: every decided plan, when it was decided and
    /// from which height it runs.
    static func history(_ schedule: UpgradeSchedule, height: Height) -> [UpgradeDecision] {
        schedule.decided.map { decision in
            UpgradeDecision(plan: decision.plan.id.hex, plugin: decision.plan.plugin, version: decision.plan.pluginVersion,
                            fromHeight: decision.plan.fromHeight, decidedAt: decision.decidedAt,
                            inEffect: decision.plan.fromHeight <= height)
        }
    }

    static func status(_ schedule: UpgradeSchedule, height: Height, running: PluginInfo,
                       node: BatonAPI.UpgradeReadiness) -> UpgradeStatus {
        UpgradeStatus(
            height: height, leadBlocksMin: UpgradeSchedule.leadBlocksMin,
            application: .init(plugin: running.name, version: running.version, plan: schedule.plan(at: height)?.id.hex),
            open: schedule.open.values.sorted { $0.proposedAt < $1.proposedAt }.map { entry in
                OpenPlanEntry(plan: plan(entry.plan), proposedAt: entry.proposedAt, approvedWeight: entry.weight,
                              approvers: entry.approvers.map(\.hex))
            },
            decided: schedule.decided.map { decision in
                DecidedPlanEntry(plan: plan(decision.plan), decidedAt: decision.decidedAt,
                                 approvers: decision.approvers.map(\.hex), inEffect: decision.plan.fromHeight <= height)
            },
            node: node)
    }
}
