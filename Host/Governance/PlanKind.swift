import BatonCrypto
import Consensus

/// The kinds of plan the chain decides. A host transaction names its kind in
/// its first byte (`HostTransaction`): a proposal of kind k is tag 2k − 1, an
/// approval 2k, so upgrades keep tags 1 and 2 and committee changes 3 and 4.
///
/// A new kind is a case here and in `GovernancePlan`, and its plan type (a
/// `GovernedPlan`) with its schedule (a `PlanSchedule`); the node applies it
/// through `GovernanceBook` and names it only where its decisions act.
public enum PlanKind: UInt8, Hashable, Sendable, CaseIterable {
    case upgrade = 1
    case committee = 2

    /// Where a node stores the kind's schedule (`m/` + this).
    public var storageName: String {
        switch self {
        case .upgrade: "upgrades"
        case .committee: "committee"
        }
    }

    /// What logs call a plan of this kind ("upgrade plan decided").
    public var noun: String {
        switch self {
        case .upgrade: "upgrade"
        case .committee: "committee"
        }
    }

    /// What a decision of this kind does, for the log line that reports it.
    public var decisionEffect: String {
        switch self {
        case .upgrade: "the application changes at its first height"
        case .committee: "the deciding block ends the epoch"
        }
    }

    /// The schedule that keeps this kind's plans.
    public var scheduleType: any PlanSchedule.Type {
        switch self {
        case .upgrade: UpgradeSchedule.self
        case .committee: CommitteeSchedule.self
        }
    }

    var proposalTag: UInt8 { rawValue * 2 - 1 }
    var approvalTag: UInt8 { rawValue * 2 }

    /// The kind and whether it is a proposal, from a transaction's first byte.
    static func of(tag: UInt8) -> (kind: PlanKind, proposes: Bool)? {
        guard tag > 0, let kind = PlanKind(rawValue: (tag + 1) / 2) else { return nil }
        return (kind, tag % 2 == 1)
    }
}

/// A plan of any kind, as a host transaction proposes it.
public enum GovernancePlan: Hashable, Sendable {
    case upgrade(UpgradePlan)
    case committee(CommitteeChangePlan)

    public var kind: PlanKind {
        switch self {
        case .upgrade: .upgrade
        case .committee: .committee
        }
    }

    public var id: Bytes32 {
        switch self {
        case .upgrade(let plan): plan.id
        case .committee(let plan): plan.id
        }
    }

    /// U-1 / C-1, what needs no state: nil if it may be in a block.
    func problem(chainID: Bytes32, committee: Committee) -> String? {
        switch self {
        case .upgrade(let plan): plan.problem(chainID: chainID).map { "plan refused: \($0)" }
        case .committee(let plan): plan.problem(chainID: chainID, committee: committee).map { "committee plan refused: \($0)" }
        }
    }

    func encode(to writer: inout WireWriter) {
        switch self {
        case .upgrade(let plan): plan.encode(to: &writer)
        case .committee(let plan): plan.encode(to: &writer)
        }
    }

    init(kind: PlanKind, from reader: inout WireReader) throws(WireDecodingError) {
        switch kind {
        case .upgrade: self = .upgrade(try UpgradePlan(from: &reader))
        case .committee: self = .committee(try CommitteeChangePlan(from: &reader))
        }
    }
}
