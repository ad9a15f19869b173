import BatonCrypto

/// The only code that signs votes and timeouts. Keeps `SafetyData` and never
/// signs anything that could let two conflicting blocks be finalized.
///
/// Error contract: `SafetyRules.Refusal` is expected and benign ("no vote:
/// already voted in this view"); the caller simply does not send anything.
/// After every successful call the caller must persist `data` before it
/// sends what was signed.
public struct SafetyRules: Sendable {
    public enum Refusal: Error, Hashable, Sendable {
        case notCurrentView(blockView: View, currentView: View)
        case alreadyVoted(View, highestVoted: View)
        case timedOutInView(View)
        case votingRuleViolated(View, qcView: View)
        case staleTimeout(View, highestVoted: View)
        case notAVoter
        /// SR-R: safety data lost, not yet recovered from the other members.
        case recovering

        /// Whether refusing to sign the node's *own* proposal for this reason
        /// is expected: the view moved on, or the node timed out (or, as a
        /// twin sharing its key, voted) in it while the app was producing.
        /// A voting-rule violation there means the core built a block on
        /// certificates that do not justify it — a bug, fatal.
        public var isExpectedForOwnProposal: Bool {
            switch self {
            case .notCurrentView, .alreadyVoted, .timedOutInView, .staleTimeout, .recovering: true
            case .votingRuleViolated, .notAVoter: false
            }
        }
    }

    public private(set) var data: SafetyData
    /// SR-R: while the node recovers lost safety data, it signs nothing.
    public internal(set) var muted = false
    let signer: any MessageSigner
    /// nil for a follower: it never signs.
    let index: ValidatorIndex?
    let chainID: Bytes32
    /// Test-only: drops the TC condition of the voting rule, so the simulator
    /// can prove it catches a broken rule. Never set outside tests.
    var breakVotingRuleForTesting = false
    /// Test-only: lets this node vote again in a view it already voted in (for
    /// another block). Exists so the simulator can prove it catches it.
    var allowDoubleVotesForTesting = false

    public init(data: SafetyData, signer: any MessageSigner, index: ValidatorIndex?, chainID: Bytes32) {
        self.data = data
        self.signer = signer
        self.index = index
        self.chainID = chainID
    }

    /// Signs a vote for `block`, or refuses.
    public mutating func vote(for block: Block, currentView: View) throws(Refusal) -> Vote {
        guard let index else { throw .notAVoter }
        guard !muted else { throw .recovering }
        guard block.view == currentView else { throw .notCurrentView(blockView: block.view, currentView: currentView) }
        // Vote at most once per view, and only in views above every vote so far.
        guard block.view > data.highestVotedView || (allowDoubleVotesForTesting && block.view == data.highestVotedView) else {
            throw .alreadyVoted(block.view, highestVoted: data.highestVotedView)
        }
        // After timing out in a view, never vote in it.
        guard block.view > data.highestTimeoutView else { throw .timedOutInView(block.view) }
        // SR-R: never vote in a view this node may have signed in before losing its data.
        guard block.view > data.votesRefusedThrough else { throw .alreadyVoted(block.view, highestVoted: data.votesRefusedThrough) }
        // Jolteon voting rule: QC from v-1, or TC for v-1 with QC ≥ max(TC.highQCViews).
        try checkVotingRule(block)
        data.highestVotedView = block.view
        data.highestSignedView = max(data.highestSignedView, block.view)
        // Vote at most once per view: nothing below may sign this view again.
        precondition(data.highestVotedView > data.highestTimeoutView, "voted in a view already timed out in")
        let digest = SigningDomain.voteDigest(domain: chainID, view: block.view, blockID: block.id)
        return Vote(view: block.view, blockID: block.id, signer: index, signature: signer.sign(digest))
    }

    /// Signs (or re-uses) this node's timeout for `view`.
    public mutating func timeout(view: View, highQC: QuorumCertificate, lastViewTC: TimeoutCertificate?)
        throws(Refusal) -> TimeoutObject
    {
        guard let index else { throw .notAVoter }
        guard !muted else { throw .recovering }
        if let last = data.lastTimeout, last.view == view { return last }
        // Never time out in a view below one already voted in: the view is over.
        guard view >= data.highestVotedView, view > data.highestTimeoutView else {
            throw .staleTimeout(view, highestVoted: data.highestVotedView)
        }
        // Carry the TC for view-1 iff the highest QC is not from view-1.
        let tc = highQC.view + 1 == view ? nil : lastViewTC
        let digest = SigningDomain.timeoutDigest(domain: chainID, view: view, highQCView: highQC.view)
        let timeout = TimeoutObject(view: view, highQC: highQC, lastViewTC: tc, signer: index, signature: signer.sign(digest))
        data.highestTimeoutView = view
        data.highestSignedView = max(data.highestSignedView, view)
        data.lastTimeout = timeout
        precondition(data.highestTimeoutView >= data.highestVotedView, "timed out below a view voted in")
        return timeout
    }

    /// SR-R: signing resumes, refusing votes (and proposals) in every view up
    /// to `votes` and timeouts up to `timeouts` (see `SafetyRecovery`).
    mutating func resume(refusingVotesThrough votes: View, timeoutsThrough timeouts: View) {
        data.votesRefusedThrough = max(data.votesRefusedThrough, votes)
        data.highestTimeoutView = max(data.highestTimeoutView, timeouts)
        muted = false
    }

    private func checkVotingRule(_ block: Block) throws(Refusal) {
        if block.qc.view + 1 == block.view { return }
        if breakVotingRuleForTesting { return }
        guard let tc = block.lastViewTC, tc.view == block.view - 1, block.qc.view >= tc.highQC.view else {
            throw .votingRuleViolated(block.view, qcView: block.qc.view)
        }
    }
}
