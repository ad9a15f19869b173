import BatonCrypto
import Consensus
import Governance

/// `GET /v1/committee` and `baton committee status`: the committee in force,
/// the plans open to change it, and every change so far.
public enum CommitteeJSON {
    /// The node's committee state at one moment (read off the actor in one hop).
    public struct Snapshot: Sendable {
        let committee: Committee, addresses: [String], records: [EpochRecord], schedule: CommitteeSchedule
        let height: Height, node: PublicKey

        public var json: [String: Any] {
            CommitteeJSON.status(committee: committee, addresses: addresses, records: records, schedule: schedule,
                                 height: height, node: node)
        }
    }

    static func member(_ member: Committee.Member, index: Int, address: String?) -> [String: Any] {
        ["index": index, "publicKey": member.publicKey.hex, "weight": member.weight, "address": address as Any]
    }

    static func plan(_ plan: CommitteeChangePlan) -> [String: Any] {
        ["id": plan.id.hex, "chainID": plan.chainID.hex, "epoch": plan.epoch, "expiresAtHeight": plan.expiresAtHeight,
         "members": plan.members.map { ["publicKey": $0.publicKey.hex, "weight": $0.weight, "address": $0.address] }]
    }

    static func status(committee: Committee, addresses: [String], records: [EpochRecord], schedule: CommitteeSchedule,
                       height: Height, node: PublicKey) -> [String: Any] {
        [
            "chainID": committee.chainID.hex,
            "epoch": committee.epoch,
            "height": height,
            "startedAfterHeight": records.last?.change.root.height ?? 0,
            "totalWeight": committee.totalWeight,
            "members": committee.members.enumerated().map { index, m in
                member(m, index: index, address: index < addresses.count ? addresses[index] : nil)
            },
            "thisNode": ["publicKey": node.hex, "member": committee.index(of: node).map { Int($0) } as Any] as [String: Any],
            "open": schedule.open.values.sorted { $0.proposedAt < $1.proposedAt }.map { entry in
                plan(entry.plan).merging(["proposedAt": entry.proposedAt, "approvedWeight": entry.weight,
                                          "approvers": entry.approvers.map(\.hex)]) { $1 }
            },
            "changes": history(records),
        ]
    }

    /// Every committee change: the epoch it began, after which block, and the committee's size and weight.
    static func history(_ records: [EpochRecord]) -> [[String: Any]] {
        records.map { record in
            ["epoch": record.epoch, "afterHeight": record.change.root.height, "afterBlock": record.change.root.id.hex,
             "members": record.committee.count, "totalWeight": record.committee.totalWeight]
        }
    }
}
