import BatonCrypto
import Consensus

/// The open plans of one kind — proposed, not decided, not expired — and the
/// approvals each has collected: the bookkeeping every kind of governance
/// shares (U-1/U-2 for upgrades, C-1/C-2 for committee changes). What a
/// quorum decides is the kind's schedule's (`UpgradeSchedule`,
/// `CommitteeSchedule`); this only says that one was reached.
public struct OpenPlans<Plan: GovernedPlan>: Hashable, Sendable {
    public struct Proposed: Hashable, Sendable {
        public let plan: Plan
        public let proposedAt: Height
        /// In the order their approvals were committed.
        public var approvers: [PublicKey]
        public var weight: UInt64
    }

    /// What one proposal or approval did.
    public enum Step: Hashable, Sendable {
        case proposed(Bytes32)
        case approved(Bytes32, by: PublicKey)
        /// The approvals now hold more than two thirds of the weight; the
        /// plan is no longer open (the schedule decides what that means).
        case quorum(Proposed)
        case ignored(String)
    }

    public private(set) var plans: [Bytes32: Proposed] = [:]

    public init() {}

    /// Keeps only the plans `isOpen` says are still open (a deadline passed,
    /// an epoch ended).
    public mutating func lapse(keeping isOpen: (Proposed) -> Bool) { plans = plans.filter { isOpen($0.value) } }

    public mutating func removeAll() { plans = [:] }

    /// A proposal (`plan` with its proposer's approval) or an approval of an
    /// open plan, in a block at `height`, with `committee` in force. A
    /// proposal opens the plan and counts its proposer's approval; every
    /// approval counts once, at its signer's weight. `wasDecided`: a plan of
    /// this id that was decided already (proposing it again changes nothing).
    public mutating func record(proposing plan: Plan?, approval: Approval, at height: Height, committee: Committee,
                                wasDecided: Bool = false) -> Step {
        let id = approval.planID
        if let plan {
            guard plans[id] == nil, !wasDecided else { return .ignored("plan \(id.short) was proposed already") }
            guard plan.expiresAtHeight >= height else { return .ignored("plan \(id.short) expired at height \(plan.expiresAtHeight)") }
            guard plans.count < Plan.rules.openPlansMax else {
                return .ignored("\(Plan.rules.openPlansMax) \(Plan.rules.pluralNoun) are open already")
            }
            plans[id] = Proposed(plan: plan, proposedAt: height, approvers: [], weight: 0)
        }
        guard var entry = plans[id] else { return .ignored(Plan.rules.notOpen(id)) }
        // U-2 / C-2: once per member, at its weight in the committee in force.
        guard !entry.approvers.contains(approval.signer) else { return .ignored(Self.approvedAlready(id, by: approval.signer)) }
        entry.approvers.append(approval.signer)
        entry.weight += committee.index(of: approval.signer).map { committee.weight(of: $0) } ?? 0
        guard committee.isQuorum(entry.weight) else {
            plans[id] = entry
            return plan != nil ? .proposed(id) : .approved(id, by: approval.signer)
        }
        plans[id] = nil
        return .quorum(entry)
    }

    /// Why an approval by `signer` of open plan `id` would change nothing at
    /// `height` (a mempool check), or nil; `notOpen` if the plan is not open.
    public func approvalProblem(_ id: Bytes32, by signer: PublicKey, height: Height, notOpen: String) -> String? {
        guard let entry = plans[id] else { return notOpen }
        if entry.approvers.contains(signer) { return Self.approvedAlready(id, by: signer) }
        if entry.plan.expiresAtHeight <= height { return "the plan's approval deadline, height \(entry.plan.expiresAtHeight), has passed" }
        return nil
    }

    /// U-2 / C-2: a member's second approval of a plan changes nothing.
    static func approvedAlready(_ id: Bytes32, by signer: PublicKey) -> String { "\(signer) approved plan \(id.short) already" }

    // MARK: - Storage (one layout for every kind; `field` names the kind's schedule in errors)

    public func encode(to writer: inout WireWriter) {
        writer.u16(UInt16(plans.count))
        for (_, entry) in plans.sorted(by: { $0.key.hex < $1.key.hex }) {
            entry.plan.encode(to: &writer)
            writer.u64(entry.proposedAt)
            writer.u64(entry.weight)
            Self.encode(entry.approvers, to: &writer)
        }
    }

    public init(from reader: inout WireReader, field: String) throws(WireDecodingError) {
        for _ in 0..<Int(try reader.u16("\(field).open")) {
            let plan = try Plan(from: &reader)
            let proposedAt = try reader.u64("\(field).proposedAt")
            let weight = try reader.u64("\(field).weight")
            plans[plan.id] = Proposed(plan: plan, proposedAt: proposedAt, approvers: try Self.keys(&reader, field: field), weight: weight)
        }
    }

    static func encode(_ keys: [PublicKey], to writer: inout WireWriter) {
        writer.u16(UInt16(keys.count))
        for key in keys { writer.raw(key.compressed) }
    }

    static func keys(_ reader: inout WireReader, field: String) throws(WireDecodingError) -> [PublicKey] {
        var list: [PublicKey] = []
        for _ in 0..<Int(try reader.u16("\(field).approvers")) {
            guard let key = PublicKey(compressed: try reader.raw(PublicKey.byteCount, "\(field).approver")) else {
                throw WireDecodingError(.invalidValue, field: "\(field).approver", detail: "not a public key")
            }
            list.append(key)
        }
        return list
    }
}
