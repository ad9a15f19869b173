import BatonAPI
import BatonCrypto
import Consensus
import Governance
import Node

/// `GET /v1/committee` and `baton committee status`: the committee in force,
/// the plans open to change it, and every change so far.
enum CommitteeJSON {
    static func status(_ snapshot: CommitteeSnapshot) -> CommitteeStatus {
        let (committee, addresses, records, schedule) = (snapshot.committee, snapshot.addresses, snapshot.records, snapshot.schedule)
        let (height, node) = (snapshot.height, snapshot.node)
        return CommitteeStatus(
                chainID: committee.chainID.hex, epoch: committee.epoch, height: height,
                startedAfterHeight: records.last?.change.root.height ?? 0, totalWeight: committee.totalWeight,
                members: committee.members.enumerated().map { index, member in
                    CommitteeStatus.Member(index: index, publicKey: member.publicKey.hex, weight: member.weight,
                                           address: index < addresses.count ? addresses[index] : nil)
                },
                thisNode: .init(publicKey: node.hex, member: committee.index(of: node).map { Int($0) }),
                open: schedule.open.values.sorted { $0.proposedAt < $1.proposedAt }.map { entry in
                    OpenPlanEntry(plan: CommitteeJSON.plan(entry.plan), proposedAt: entry.proposedAt,
                                  approvedWeight: entry.weight, approvers: entry.approvers.map(\.hex))
                },
                changes: CommitteeJSON.history(records))
    }

    static func plan(_ plan: CommitteeChangePlan) -> CommitteePlanDescription {
        CommitteePlanDescription(id: plan.id.hex, chainID: plan.chainID.hex, epoch: plan.epoch, expiresAtHeight: plan.expiresAtHeight,
                                 members: plan.members.map { .init(publicKey: $0.publicKey.hex, weight: $0.weight, address: $0.address) })
    }

    /// Every committee change: the epoch it began, after which block, and the committee's size and weight.
    static func history(_ records: [EpochRecord]) -> [CommitteeChange] {
        records.map { record in
            CommitteeChange(epoch: record.epoch, afterHeight: record.change.root.height, afterBlock: record.change.root.id.hex,
                            members: record.committee.count, totalWeight: record.committee.totalWeight)
        }
    }
}
