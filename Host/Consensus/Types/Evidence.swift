/// Proof that a member misbehaved, kept for the operator (and, later, slashing).
public enum Evidence: Hashable, Sendable {
    /// Two votes by one signer for different blocks in one view.
    case doubleVote(Vote, Vote)
    /// Two proposals by one leader for different blocks in one view.
    case doubleProposal(Proposal, Proposal)
    /// Two timeouts by one signer for one view with different highest-QC
    /// views (each signed: an honest node re-sends its first one unchanged).
    case doubleTimeout(TimeoutObject, TimeoutObject)

    public var offender: ValidatorIndex {
        switch self {
        case .doubleVote(let a, _): a.signer
        case .doubleProposal(let a, _): a.block.proposer
        case .doubleTimeout(let a, _): a.signer
        }
    }

    public var view: View {
        switch self {
        case .doubleVote(let a, _): a.view
        case .doubleProposal(let a, _): a.block.view
        case .doubleTimeout(let a, _): a.view
        }
    }

    public var kind: String {
        switch self {
        case .doubleVote: "doubleVote"
        case .doubleProposal: "doubleProposal"
        case .doubleTimeout: "doubleTimeout"
        }
    }
}
