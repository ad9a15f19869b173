/// The votes of one view, at the leader of the next view.
///
/// Each signer's first vote counts; a repeat is ignored before it is verified
/// (so each signature is verified once); a second vote for another block is
/// equivocation, kept as evidence and not counted. The QC is built exactly
/// once, when the weight for one block first crosses the quorum.
public struct VoteCollector: Sendable {
    public enum Outcome: Hashable, Sendable {
        case added
        case duplicate
        case invalid(ValidationError)
        case equivocation(Evidence)
        case certified(QuorumCertificate)
    }

    public let view: View
    private var votes: [ValidatorIndex: Vote] = [:]
    private var weightByBlock: [BlockID: UInt64] = [:]
    public private(set) var qc: QuorumCertificate?
    public private(set) var evidence: [Evidence] = []

    public init(view: View) { self.view = view }

    public var voteCount: Int { votes.count }

    /// `verify` is called at most once per accepted signer (skipped for the
    /// node's own, already trusted, votes by passing nil).
    public mutating func add(_ vote: Vote, committee: Committee,
                             verify: ((Vote) throws(ValidationError) -> Void)?) -> Outcome {
        precondition(vote.view == view, "vote routed to the wrong view's collector")
        if let first = votes[vote.signer] {
            guard first.blockID != vote.blockID else { return .duplicate }
            if evidence.contains(where: { $0.offender == vote.signer }) { return .duplicate }
            do throws(ValidationError) { try verify?(vote) } catch { return .invalid(error) }
            let proof = Evidence.doubleVote(first, vote)
            evidence.append(proof)
            return .equivocation(proof)
        }
        do throws(ValidationError) { try verify?(vote) } catch { return .invalid(error) }
        votes[vote.signer] = vote
        let weight = weightByBlock[vote.blockID, default: 0] + committee.weight(of: vote.signer)
        weightByBlock[vote.blockID] = weight
        guard qc == nil, committee.isQuorum(weight) else { return .added }
        let signers = SignerSet(capacity: committee.count,
                                members: votes.values.filter { $0.blockID == vote.blockID }.map(\.signer))
        let built = QuorumCertificate(view: view, blockID: vote.blockID, signers: signers,
                                      signatures: signers.map { votes[$0]!.signature })
        qc = built
        return .certified(built)
    }
}
