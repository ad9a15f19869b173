import BatonCrypto
import Consensus

/// The operators' committee changes, decided by the chain itself: plans
/// proposed in blocks, the approvals they collected, and the changes that
/// took effect. A pure value every node updates in block order at commit,
/// stored with the block — so every node, and one syncing from the genesis,
/// decides the same change at the same block.
///
/// The rules (README, "Committee changes"):
/// - C-1 A plan counts only if proposed by a voting member of the committee
///   in force, for this chain and this epoch, with a valid member list.
/// - C-2 An approval counts once per member of the committee in force, only
///   for an open plan, only in a block at or below the plan's deadline.
/// - C-3 A plan is decided in the block whose approvals give it more than
///   two thirds of the committee's weight. That block is the last of the
///   epoch (EP-1): host transactions after it in the block change nothing,
///   and every plan still open lapses with the epoch it names.
public struct CommitteeSchedule: Hashable, Sendable {
    /// Open plans kept at once.
    public static let openPlansMax = 8

    public struct Proposed: Hashable, Sendable {
        public let plan: CommitteeChangePlan
        public let proposedAt: Height
        /// In the order their approvals were committed.
        public var approvers: [PublicKey]
        public var weight: UInt64
    }

    public enum Outcome: Hashable, Sendable {
        case proposed(Bytes32)
        case approved(Bytes32, by: PublicKey)
        /// The epoch ends with this block; `approvers` gave the quorum.
        case decided(CommitteeChangePlan, approvers: [PublicKey])
        case ignored(String)
    }

    public private(set) var open: [Bytes32: Proposed] = [:]

    public init() {}

    /// Applies the committee transactions of the block at `height`, in order;
    /// `committee` is the one in force (the block's epoch).
    public mutating func apply(_ transactions: [HostTransaction], at height: Height, committee: Committee,
                               verifier: some SignatureVerifier) -> [Outcome] {
        // C-2, C-3: plans past their deadline, or of an earlier epoch, lapse.
        open = open.filter { $0.value.plan.expiresAtHeight >= height && $0.value.plan.epoch == committee.epoch }
        var outcomes: [Outcome] = []
        var decided = false
        for transaction in transactions {
            guard !decided else {
                outcomes.append(.ignored("the committee changed earlier in this block"))
                continue
            }
            let outcome = apply(transaction, at: height, committee: committee, verifier: verifier)
            if case .decided = outcome {
                decided = true
                open = [:]  // C-3: every other plan named the epoch that ends here
            }
            outcomes.append(outcome)
        }
        return outcomes
    }

    private mutating func apply(_ transaction: HostTransaction, at height: Height, committee: Committee,
                                verifier: some SignatureVerifier) -> Outcome {
        // Validators checked this before voting; a node that synced the
        // block checks it here, with the same deterministic answer.
        if let problem = transaction.problem(chainID: committee.chainID, committee: committee, verifier: verifier) {
            return .ignored(problem)
        }
        let approval = transaction.approval
        if case .proposeCommittee(let plan, _) = transaction {
            guard open[approval.planID] == nil else { return .ignored("plan \(approval.planID.short) was proposed already") }
            guard plan.expiresAtHeight >= height else { return .ignored("plan \(approval.planID.short) expired at height \(plan.expiresAtHeight)") }
            guard open.count < Self.openPlansMax else { return .ignored("\(Self.openPlansMax) committee plans are open already") }
            open[approval.planID] = Proposed(plan: plan, proposedAt: height, approvers: [], weight: 0)
        }
        guard var entry = open[approval.planID] else {
            return .ignored("committee plan \(approval.planID.short) is not open (never proposed, expired, or of an earlier epoch)")
        }
        guard let quorum = committee.count(approvalBy: approval.signer, approvers: &entry.approvers, weight: &entry.weight)
        else { return .ignored("\(approval.signer) approved plan \(approval.planID.short) already") }
        guard quorum else {
            open[approval.planID] = entry
            if case .proposeCommittee = transaction { return .proposed(approval.planID) }
            return .approved(approval.planID, by: approval.signer)
        }
        return .decided(entry.plan, approvers: entry.approvers)
    }

    /// Why `transaction` would change nothing if committed now (a mempool
    /// check, so clients hear of a replay or a late approval at once), or nil.
    public func admissionProblem(_ transaction: HostTransaction, height: Height) -> String? {
        let id = transaction.approval.planID
        switch transaction {
        case .proposeCommittee(let plan, _):
            if open[id] != nil { return "committee plan \(id.short) was proposed already" }
            if plan.expiresAtHeight <= height { return "its approval deadline, height \(plan.expiresAtHeight), has passed (the chain is at \(height))" }
        case .approveCommittee(let approval):
            guard let entry = open[id] else { return "committee plan \(id.short) is not open (never proposed, expired, decided, or of an earlier epoch)" }
            if entry.approvers.contains(approval.signer) { return "\(approval.signer) approved plan \(id.short) already" }
            if entry.plan.expiresAtHeight <= height { return "the plan's approval deadline, height \(entry.plan.expiresAtHeight), has passed" }
        default: break
        }
        return nil
    }
}

extension CommitteeSchedule: WireCodable {
    public func encode(to writer: inout WireWriter) {
        writer.u8(1)
        writer.u16(UInt16(open.count))
        for (_, entry) in open.sorted(by: { $0.key.hex < $1.key.hex }) {
            entry.plan.encode(to: &writer)
            writer.u64(entry.proposedAt)
            writer.u64(entry.weight)
            writer.u16(UInt16(entry.approvers.count))
            for key in entry.approvers { writer.raw(key.compressed) }
        }
    }

    public init(from reader: inout WireReader) throws(WireDecodingError) {
        guard try reader.u8("committeeSchedule.version") == 1 else {
            throw WireDecodingError(.invalidValue, field: "committeeSchedule.version", detail: "unknown version")
        }
        for _ in 0..<Int(try reader.u16("committeeSchedule.open")) {
            let plan = try CommitteeChangePlan(from: &reader)
            let proposedAt = try reader.u64("committeeSchedule.proposedAt")
            let weight = try reader.u64("committeeSchedule.weight")
            var approvers: [PublicKey] = []
            for _ in 0..<Int(try reader.u16("committeeSchedule.approvers")) {
                guard let key = PublicKey(compressed: try reader.raw(PublicKey.byteCount, "committeeSchedule.approver")) else {
                    throw WireDecodingError(.invalidValue, field: "committeeSchedule.approver", detail: "not a public key")
                }
                approvers.append(key)
            }
            open[plan.id] = Proposed(plan: plan, proposedAt: proposedAt, approvers: approvers, weight: weight)
        }
    }
}
