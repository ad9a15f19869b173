import BatonCrypto
import Consensus

/// Which application the chain runs at each height, decided by the chain
/// itself: the plans proposed in blocks, the approvals they collected, and
/// the plans that took effect. A pure value every node updates in block
/// order at commit (`apply`), stored with the block, so every node — and a
/// node syncing from the genesis — reaches the same schedule at the same
/// height.
///
/// The rules (README, "Live upgrades"):
/// - U-1 A plan counts only if proposed by a voting member, for this chain,
///   with at least `leadBlocksMin` blocks between its approval deadline and
///   its first height.
/// - U-2 An approval counts once per member, only for a proposed plan, only
///   in a block at or below the plan's deadline; a replay changes nothing.
/// - U-3 A plan is decided at the height of the block whose approvals give it
///   more than two thirds of the committee's weight; decided plans take effect
///   in the order of their first heights, and a plan that would start at or
///   before an already decided one is refused.
/// - U-4 Since `fromHeight >= deadline + leadBlocksMin >= decision +
///   leadBlocksMin`, every node has committed the decision well before any
///   block at `fromHeight` is proposed (consensus keeps at most a few blocks
///   between the committed height and a proposal).
public struct UpgradeSchedule: Hashable, Sendable {
    /// U-1/U-4: the least distance, in blocks, between a plan's approval
    /// deadline and its first height.
    public static let leadBlocksMin: Height = 10
    /// Open (proposed, undecided, unexpired) plans kept at once.
    public static let openPlansMax = 16

    public struct Proposed: Hashable, Sendable {
        public let plan: UpgradePlan
        public let proposedAt: Height
        /// In the order their approvals were committed.
        public var approvers: [PublicKey]
        public var weight: UInt64
    }

    public struct Decided: Hashable, Sendable {
        public let plan: UpgradePlan
        public let decidedAt: Height
        public let approvers: [PublicKey]
    }

    /// What a host transaction did at commit.
    public enum Outcome: Hashable, Sendable {
        case proposed(Bytes32)
        case approved(Bytes32, by: PublicKey)
        case decided(Decided)
        case ignored(String)
    }

    public private(set) var open: [Bytes32: Proposed] = [:]
    /// Sorted by `plan.fromHeight`, strictly increasing.
    public private(set) var decided: [Decided] = []

    public init() {}

    /// The decided plan in force at `height`, or nil: the genesis's application.
    public func plan(at height: Height) -> UpgradePlan? {
        decided.last { $0.plan.fromHeight <= height }?.plan
    }

    /// Applies the host transactions of the block at `height`, in order.
    public mutating func apply(_ transactions: [HostTransaction], at height: Height, committee: Committee,
                               verifier: some SignatureVerifier) -> [Outcome] {
        // U-2: a plan whose deadline passed collects nothing more.
        open = open.filter { $0.value.plan.expiresAtHeight >= height }
        return transactions.map { transaction in
            // Validators checked this before voting; a node that synced the
            // block checks it here, with the same deterministic answer.
            if let problem = transaction.problem(chainID: committee.chainID, committee: committee, verifier: verifier) {
                return .ignored(problem)
            }
            let approval = transaction.approval
            if case .propose(let plan, _) = transaction {
                guard open[approval.planID] == nil, !decided.contains(where: { $0.plan.id == approval.planID }) else {
                    return .ignored("plan \(approval.planID.short) was proposed already")
                }
                guard plan.expiresAtHeight >= height else { return .ignored("plan \(approval.planID.short) expired at height \(plan.expiresAtHeight)") }
                guard open.count < Self.openPlansMax else { return .ignored("\(Self.openPlansMax) plans are open already") }
                open[approval.planID] = Proposed(plan: plan, proposedAt: height, approvers: [], weight: 0)
            }
            guard var entry = open[approval.planID] else {
                return .ignored("plan \(approval.planID.short) is not open (never proposed, expired or decided)")
            }
            guard let quorum = committee.count(approvalBy: approval.signer, approvers: &entry.approvers, weight: &entry.weight)
            else { return .ignored("\(approval.signer) approved plan \(approval.planID.short) already") }
            guard quorum else {
                open[approval.planID] = entry
                if case .propose = transaction { return .proposed(approval.planID) }
                return .approved(approval.planID, by: approval.signer)
            }
            open[approval.planID] = nil
            // U-3: decided plans start in increasing height order.
            if let last = decided.last, entry.plan.fromHeight <= last.plan.fromHeight {
                return .ignored("plan \(approval.planID.short) reached a quorum but starts at \(entry.plan.fromHeight), not after the decided plan starting at \(last.plan.fromHeight)")
            }
            let decision = Decided(plan: entry.plan, decidedAt: height, approvers: entry.approvers)
            decided.append(decision)
            return .decided(decision)
        }
    }
}

extension UpgradeSchedule: WireCodable {
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
        writer.u16(UInt16(decided.count))
        for decision in decided {
            decision.plan.encode(to: &writer)
            writer.u64(decision.decidedAt)
            writer.u16(UInt16(decision.approvers.count))
            for key in decision.approvers { writer.raw(key.compressed) }
        }
    }

    public init(from reader: inout WireReader) throws(WireDecodingError) {
        guard try reader.u8("schedule.version") == 1 else {
            throw WireDecodingError(.invalidValue, field: "schedule.version", detail: "unknown version")
        }
        func keys(_ reader: inout WireReader) throws(WireDecodingError) -> [PublicKey] {
            let count = Int(try reader.u16("schedule.approvers"))
            var list: [PublicKey] = []
            for _ in 0..<count {
                guard let key = PublicKey(compressed: try reader.raw(PublicKey.byteCount, "schedule.approver")) else {
                    throw WireDecodingError(.invalidValue, field: "schedule.approver", detail: "not a public key")
                }
                list.append(key)
            }
            return list
        }
        for _ in 0..<Int(try reader.u16("schedule.open")) {
            let plan = try UpgradePlan(from: &reader)
            let proposedAt = try reader.u64("schedule.proposedAt")
            let weight = try reader.u64("schedule.weight")
            open[plan.id] = Proposed(plan: plan, proposedAt: proposedAt, approvers: try keys(&reader), weight: weight)
        }
        for _ in 0..<Int(try reader.u16("schedule.decided")) {
            let plan = try UpgradePlan(from: &reader)
            let decidedAt = try reader.u64("schedule.decidedAt")
            decided.append(Decided(plan: plan, decidedAt: decidedAt, approvers: try keys(&reader)))
        }
    }
}
