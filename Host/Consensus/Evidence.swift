/// Proof that a member misbehaved, kept for the operator (and, later, slashing).
public enum Evidence: Hashable, Sendable {
    /// Two votes by one signer for different blocks in one view.
    case doubleVote(Vote, Vote)
    /// Two proposals by one leader for different blocks in one view.
    case doubleProposal(Proposal, Proposal)

    public var offender: ValidatorIndex {
        switch self {
        case .doubleVote(let a, _): a.signer
        case .doubleProposal(let a, _): a.block.proposer
        }
    }
}
