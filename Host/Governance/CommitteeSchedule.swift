import BatonCrypto
import Consensus

/// The operators' committee changes, decided by the chain itself: plans
/// proposed in blocks, the approvals they collected, and the changes that
/// took effect. A pure value every node updates in block order at commit,
/// stored with the block — so every node, and one syncing from the genesis,
/// decides the same change at the same block.
///
/// The rules (docs/governance.md, "Committee changes"):
/// - C-1 A plan counts only if proposed by a voting member of the committee
///   in force, for this chain and this epoch, with a valid member list.
/// - C-2 An approval counts once per member of the committee in force, only
///   for an open plan, only in a block at or below the plan's deadline.
/// - C-3 A plan is decided in the block whose approvals give it more than
///   two thirds of the committee's weight. That block is the last of the
///   epoch (EP-1): host transactions after it in the block change nothing,
///   and every plan still open lapses with the epoch it names.
public struct CommitteeSchedule: Hashable, Sendable {
    public typealias Proposed = OpenPlans<CommitteeChangePlan>.Proposed

    public enum Outcome: Hashable, Sendable {
        case proposed(Bytes32)
        case approved(Bytes32, by: PublicKey)
        /// The epoch ends with this block; `approvers` gave the quorum.
        case decided(CommitteeChangePlan, approvers: [PublicKey])
        case ignored(String)
    }

    private var book = OpenPlans<CommitteeChangePlan>()
    public var open: [Bytes32: Proposed] { book.plans }

    public init() {}

    /// Applies the committee transactions of the block at `height`, in order;
    /// `committee` is the one in force (the block's epoch).
    public mutating func apply(_ transactions: [HostTransaction], at height: Height, committee: Committee,
                               verifier: some SignatureVerifier) -> [Outcome] {
        // C-2, C-3: plans past their deadline, or of an earlier epoch, lapse.
        book.lapse { $0.plan.expiresAtHeight >= height && $0.plan.epoch == committee.epoch }
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
                book.removeAll()  // C-3: every other plan named the epoch that ends here
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
        let proposal: CommitteeChangePlan? = if case .propose(.committee(let plan), _) = transaction { plan } else { nil }
        switch book.record(proposing: proposal, approval: transaction.approval, at: height, committee: committee) {
        case .proposed(let id): return .proposed(id)
        case .approved(let id, let signer): return .approved(id, by: signer)
        case .ignored(let why): return .ignored(why)
        case .quorum(let entry): return .decided(entry.plan, approvers: entry.approvers)
        }
    }

    /// Why `transaction` would change nothing if committed now (a mempool
    /// check, so clients hear of a replay or a late approval at once), or nil.
    public func admissionProblem(_ transaction: HostTransaction, height: Height) -> String? {
        let id = transaction.approval.planID
        switch transaction {
        case .propose(.committee(let plan), _):
            if open[id] != nil { return "committee plan \(id.short) was proposed already" }
            if plan.expiresAtHeight <= height { return "its approval deadline, height \(plan.expiresAtHeight), has passed (the chain is at \(height))" }
        case .approve(.committee, let approval):
            return book.approvalProblem(id, by: approval.signer, height: height,
                                        notOpen: "committee plan \(id.short) is not open (never proposed, expired, decided, or of an earlier epoch)")
        default: break
        }
        return nil
    }
}

extension CommitteeSchedule: WireCodable {
    public func encode(to writer: inout WireWriter) {
        writer.u8(1)
        book.encode(to: &writer)
    }

    public init(from reader: inout WireReader) throws(WireDecodingError) {
        guard try reader.u8("committeeSchedule.version") == 1 else {
            throw WireDecodingError(.invalidValue, field: "committeeSchedule.version", detail: "unknown version")
        }
        book = try OpenPlans(from: &reader, field: "committeeSchedule")
    }
}
