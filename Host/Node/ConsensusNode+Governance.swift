import BatonCrypto
import Consensus
import Governance

/// Governance on this node, for every kind of plan alike (docs/governance.md,
/// "Governance"): host transactions admitted against the committed schedules,
/// applied at commit in block order and stored with the block
/// (`GovernanceBook`). Only what a kind's decisions do here names the kind:
/// a committee plan proposed lets its new members connect, one decided ends
/// the epoch (`ConsensusNode+Committee`); an upgrade decided is picked up by
/// the lifecycle at its height (`ConsensusNode+Upgrade`).
extension ConsensusNode {
    /// Applies `block`'s host transactions to the schedules and stages each
    /// changed schedule to land with the block (U-1..U-4, C-1..C-3). Returns
    /// the switch record when the block ends the epoch.
    func applyHostTransactions(of block: Block, finalization: Forks.Finalization) throws -> EpochRecord? {
        guard !block.hostPayload.isEmpty else { return nil }
        let transactions = (try? HostPayload.decode(block.hostPayload)) ?? []
        let (outcomes, changed) = governance.apply(transactions, at: block.height, committee: committee, verifier: hostVerifier)
        for kind in changed { store.stageSchedule(named: kind.storageName, governance.encoded(kind)) }
        var epochEnd: EpochRecord?
        for outcome in outcomes {
            switch outcome {
            case .proposed(let kind, let id):
                logger.notice("\(kind.noun) plan proposed", metadata: ["plan": "\(id.short)", "height": "\(block.height)"])
                if kind == .committee { committeePlanProposed() }
            case .approved(let kind, let id, let key):
                logger.info("\(kind.noun) plan approved", metadata: ["plan": "\(id.short)", "by": "\(key)", "height": "\(block.height)"])
            case .decided(.committee(let plan), let approvers):
                epochEnd = try committeePlanDecided(plan, approvers: approvers, by: block, finalization: finalization) ?? epochEnd
            case .decided(let plan, _):
                logger.notice("\(plan.kind.noun) plan decided: \(plan.kind.decisionEffect)", metadata: ["plan": "\(plan)", "decidedAt": "\(block.height)"])
            case .ignored(let kind, let why):
                logger.info("\(kind.noun) transaction changed nothing", metadata: ["why": "\(why)", "height": "\(block.height)"])
            }
        }
        return epochEnd
    }

    /// Why a host transaction submission is not taken, or nil: malformed,
    /// not a member's valid signature for this chain, or a replay or late
    /// approval the committed schedule would ignore.
    func hostAdmissionProblem(_ bytes: [UInt8]) -> String? {
        let transaction: HostTransaction
        do { transaction = try HostTransaction(submission: bytes) } catch { return "malformed host transaction: \(error)" }
        if let problem = transaction.problem(chainID: committee.chainID, committee: committee, verifier: hostVerifier) {
            return problem
        }
        return governance.admissionProblem(transaction, height: status.finalizedHeight)
    }
}
