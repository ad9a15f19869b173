import BatonCrypto
import Consensus

/// Which application the chain runs at each height, decided by the chain
/// itself: the plans proposed in blocks, the approvals they collected, and
/// the plans that took effect. A pure value every node updates in block
/// order at commit (`apply`), stored with the block, so every node — and a
/// node syncing from the genesis — reaches the same schedule at the same
/// height.
///
/// The rules (docs/governance.md, "Live upgrades"):
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
    public typealias Proposed = OpenPlans<UpgradePlan>.Proposed

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

    private var book = OpenPlans<UpgradePlan>()
    public var open: [Bytes32: Proposed] { book.plans }
    /// Sorted by `plan.fromHeight`, strictly increasing.
    public private(set) var decided: [Decided] = []

    public init() {}

    /// The decided plan in force at `height`, or nil: the genesis's application.
    public func plan(at height: Height) -> UpgradePlan? {
        decided.last { $0.plan.fromHeight <= height }?.plan
    }

    /// Applies the upgrade transactions of the block at `height`, in order.
    public mutating func apply(_ transactions: [HostTransaction], at height: Height, committee: Committee,
                               verifier: some SignatureVerifier) -> [Outcome] {
        // U-2: a plan whose deadline passed collects nothing more.
        book.lapse { $0.plan.expiresAtHeight >= height }
        return transactions.map { transaction in
            // Validators checked this before voting; a node that synced the
            // block checks it here, with the same deterministic answer.
            if let problem = transaction.problem(chainID: committee.chainID, committee: committee, verifier: verifier) {
                return .ignored(problem)
            }
            let approval = transaction.approval
            let proposal: UpgradePlan? = if case .propose(.upgrade(let plan), _) = transaction { plan } else { nil }
            switch book.record(proposing: proposal, approval: approval, at: height, committee: committee,
                               wasDecided: proposal != nil && decided.contains { $0.plan.id == approval.planID }) {
            case .proposed(let id): return .proposed(id)
            case .approved(let id, let signer): return .approved(id, by: signer)
            case .ignored(let why): return .ignored(why)
            case .quorum(let entry):
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

    /// Why `transaction` would change nothing if committed now (a mempool
    /// check, so clients hear of a replay or a late approval at once), or nil.
    public func admissionProblem(_ transaction: HostTransaction, height: Height) -> String? {
        let id = transaction.approval.planID
        switch transaction {
        case .propose(.upgrade(let plan), _):
            if open[id] != nil || decided.contains(where: { $0.plan.id == id }) { return "plan \(id.short) was proposed already" }
            if plan.expiresAtHeight <= height { return "its approval deadline, height \(plan.expiresAtHeight), has passed (the chain is at \(height))" }
            if let last = decided.last, plan.fromHeight <= last.plan.fromHeight {
                return "a decided plan starts at height \(last.plan.fromHeight); a new one must start after it"
            }
        case .approve(.upgrade, let approval):
            let notOpen = decided.contains(where: { $0.plan.id == id })
                ? "plan \(id.short) is decided already" : "plan \(id.short) is not open (never proposed, or expired)"
            return book.approvalProblem(id, by: approval.signer, height: height, notOpen: notOpen)
        default: break
        }
        return nil
    }
}

extension UpgradeSchedule: WireCodable {
    public func encode(to writer: inout WireWriter) {
        writer.u8(1)
        book.encode(to: &writer)
        writer.u16(UInt16(decided.count))
        for decision in decided {
            decision.plan.encode(to: &writer)
            writer.u64(decision.decidedAt)
            OpenPlans<UpgradePlan>.encode(decision.approvers, to: &writer)
        }
    }

    public init(from reader: inout WireReader) throws(WireDecodingError) {
        guard try reader.u8("schedule.version") == 1 else {
            throw WireDecodingError(.invalidValue, field: "schedule.version", detail: "unknown version")
        }
        book = try OpenPlans(from: &reader, field: "schedule")
        for _ in 0..<Int(try reader.u16("schedule.decided")) {
            let plan = try UpgradePlan(from: &reader)
            let decidedAt = try reader.u64("schedule.decidedAt")
            decided.append(Decided(plan: plan, decidedAt: decidedAt, approvers: try OpenPlans<UpgradePlan>.keys(&reader, field: "schedule")))
        }
    }
}
