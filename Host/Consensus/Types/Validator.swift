import BatonCrypto

/// The validity rules for certificates and messages (DESIGN §2). Pure: it reads
/// the committee and verifies signatures through `SignatureVerifier`.
///
/// Error contract: every method throws only `ValidationError`, always benign
/// (the input is invalid and is dropped); none has side effects.
public struct Validator: Sendable {
    public let committee: Committee
    /// The certificate of the block this committee's epoch starts from,
    /// valid by definition: the genesis QC in epoch 0, the unsigned root QC
    /// of the last block of the previous epoch after (EP-3).
    public let root: QuorumCertificate
    let verifier: any SignatureVerifier
    /// Test-only (the mutation the simulator's checker must catch): a
    /// certificate or message that fails under this committee is accepted
    /// if it is valid under this one, the committee before the switch.
    @_spi(Testing) public var acceptPreviousCommitteeForTesting: Committee?

    public init(committee: Committee, root: QuorumCertificate, verifier: any SignatureVerifier) {
        self.committee = committee
        self.root = root
        self.verifier = verifier
    }

    /// Epoch 0: the chain starts at its genesis block.
    public init(committee: Committee, genesisID: BlockID, verifier: any SignatureVerifier) {
        self.init(committee: committee, root: .genesis(genesisID), verifier: verifier)
    }

    /// The same rules under the committee before the switch, for the mutation.
    private var previous: Validator? {
        acceptPreviousCommitteeForTesting.map { Validator(committee: $0, root: root, verifier: verifier) }
    }

    /// Runs `check`; under the test-only mutation, retries it with the old committee.
    private func orPrevious(_ check: (Validator) throws(ValidationError) -> Void) throws(ValidationError) {
        do { try check(self) } catch {
            guard let previous, (try? check(previous)) != nil else { throw error }
        }
    }

    // MARK: - Certificates

    /// QC rule: signer weight > 2/3 of the total and every signature verifies
    /// (a vote over (view, blockID)). The genesis QC is valid by definition.
    public func validate(_ qc: QuorumCertificate) throws(ValidationError) {
        try orPrevious { v throws(ValidationError) in try v.validateQC(qc) }
    }

    private func validateQC(_ qc: QuorumCertificate) throws(ValidationError) {
        // EP-3: nothing at or below the epoch's root view is certified by this
        // committee; the root itself is, by definition.
        if qc.view <= root.view {
            guard qc == root else { throw .invalidGenesisQC }
            return
        }
        try checkSigners(qc.signers, signatureCount: qc.signatures.count, view: qc.view)
        let digest = SigningDomain.voteDigest(domain: committee.signingDomain, view: qc.view, blockID: qc.blockID)
        for (signer, signature) in zip(qc.signers, qc.signatures) {
            guard let key = committee.publicKey(of: signer), verifier.verify(signature, digest: digest, publicKey: key) else {
                throw .badSignature(qc.view, signer: signer)
            }
        }
    }

    /// TC rule: weight > 2/3; each signer signed (view, its highQC view); the
    /// included QC is the highest of those views, valid, and older than the TC.
    public func validate(_ tc: TimeoutCertificate) throws(ValidationError) {
        try orPrevious { v throws(ValidationError) in try v.validateTC(tc) }
    }

    private func validateTC(_ tc: TimeoutCertificate) throws(ValidationError) {
        try checkSigners(tc.signers, signatureCount: tc.signatures.count, view: tc.view)
        guard tc.highQCViews.count == tc.signatures.count else { throw .tcHighQCViewsMismatch(tc.view) }
        let maxSigned = tc.highQCViews.max() ?? 0
        guard tc.highQC.view == maxSigned else {
            throw .tcHighQCNotHighest(tc.view, highQC: tc.highQC.view, maxSigned: maxSigned)
        }
        guard tc.highQC.view < tc.view else { throw .tcHighQCNotBeforeView(tc.view, highQC: tc.highQC.view) }
        for ((signer, qcView), signature) in zip(zip(tc.signers, tc.highQCViews), tc.signatures) {
            let digest = SigningDomain.timeoutDigest(domain: committee.signingDomain, view: tc.view, highQCView: qcView)
            guard let key = committee.publicKey(of: signer), verifier.verify(signature, digest: digest, publicKey: key) else {
                throw .badSignature(tc.view, signer: signer)
            }
        }
        try validate(tc.highQC)
    }

    // MARK: - Messages

    /// Proposal rule: from the view's leader, carrying the leader's valid vote,
    /// a valid QC for the parent from an earlier view, and a TC for `view - 1`
    /// present iff the QC is not from `view - 1`, whose highest QC is no newer
    /// than the block's QC.
    ///
    /// `checkingLeader: false` leaves the leader to the caller: the core asks
    /// its `ProposerElection` once it has taken the proposal's certificates
    /// (LR-2); true checks DESIGN §2's weighted-random schedule.
    public func validate(_ proposal: Proposal, checkingLeader: Bool = true) throws(ValidationError) {
        try orPrevious { v throws(ValidationError) in try v.validateProposal(proposal, checkingLeader: checkingLeader) }
    }

    private func validateProposal(_ proposal: Proposal, checkingLeader: Bool) throws(ValidationError) {
        let block = proposal.block
        guard block.view > root.view else { throw .genesisViewProposal }
        if checkingLeader {
            let leader = committee.leader(of: block.view)
            guard block.proposer == leader else { throw .notLeader(block.view, expected: leader, got: block.proposer) }
        }
        guard block.qc.blockID == block.parentID else { throw .qcNotForParent(block.view) }
        guard block.qc.view < block.view else { throw .qcNotBeforeView(block.view, qcView: block.qc.view) }
        // AA: a proposer can only have executed finalized blocks, all below its own.
        guard block.executedHeight < block.height else {
            throw .executedHeightNotBelow(block.view, executedHeight: block.executedHeight, height: block.height)
        }
        try checkLastViewTC(view: block.view, qcView: block.qc.view, tc: block.lastViewTC, forTimeout: false)
        let digest = SigningDomain.voteDigest(domain: committee.signingDomain, view: block.view, blockID: block.id)
        guard let key = committee.publicKey(of: block.proposer),
              verifier.verify(proposal.signature, digest: digest, publicKey: key) else {
            throw .badProposerSignature(block.view, proposer: block.proposer)
        }
        try validate(block.qc)
        if let tc = block.lastViewTC { try validate(tc) }
    }

    /// Vote rule: from a member with weight, signature over (view, blockID).
    public func validate(_ vote: Vote) throws(ValidationError) {
        try orPrevious { v throws(ValidationError) in try v.validateVote(vote) }
    }

    private func validateVote(_ vote: Vote) throws(ValidationError) {
        guard committee.isVoter(vote.signer), let key = committee.publicKey(of: vote.signer) else {
            throw .notAVoter(vote.signer)
        }
        let digest = SigningDomain.voteDigest(domain: committee.signingDomain, view: vote.view, blockID: vote.blockID)
        guard verifier.verify(vote.signature, digest: digest, publicKey: key) else {
            throw .badSignature(vote.view, signer: vote.signer)
        }
    }

    /// Timeout rule: from a member with weight; its highest QC is from an
    /// earlier view and valid; it carries the TC for `view - 1` iff that QC is
    /// not from `view - 1` (proof that it entered the view legitimately).
    public func validate(_ timeout: TimeoutObject) throws(ValidationError) {
        try orPrevious { v throws(ValidationError) in try v.validateTimeout(timeout) }
    }

    private func validateTimeout(_ timeout: TimeoutObject) throws(ValidationError) {
        guard committee.isVoter(timeout.signer), let key = committee.publicKey(of: timeout.signer) else {
            throw .notAVoter(timeout.signer)
        }
        guard timeout.highQC.view < timeout.view else { throw .qcNotBeforeView(timeout.view, qcView: timeout.highQC.view) }
        try checkLastViewTC(view: timeout.view, qcView: timeout.highQC.view, tc: timeout.lastViewTC, forTimeout: true)
        let digest = SigningDomain.timeoutDigest(domain: committee.signingDomain, view: timeout.view,
                                                 highQCView: timeout.highQC.view)
        guard verifier.verify(timeout.signature, digest: digest, publicKey: key) else {
            throw .badSignature(timeout.view, signer: timeout.signer)
        }
        try validate(timeout.highQC)
        if let tc = timeout.lastViewTC { try validate(tc) }
    }

    // MARK: - Shared conditions

    private func checkSigners(_ signers: SignerSet, signatureCount: Int, view: View) throws(ValidationError) {
        guard signers.capacity == committee.count else {
            throw .signerSetSize(expected: committee.count, got: signers.capacity)
        }
        guard signers.count == signatureCount else {
            throw .signatureCountMismatch(signers: signers.count, signatures: signatureCount)
        }
        let weight = committee.weight(of: signers)
        guard committee.isQuorum(weight) else {
            throw .insufficientWeight(view, weight: weight, needed: "> 2/3 of \(committee.totalWeight)")
        }
    }

    /// "TC for view-1 iff the QC is not from view-1", and the TC's highest QC
    /// is no newer than the QC carried alongside it.
    private func checkLastViewTC(view: View, qcView: View, tc: TimeoutCertificate?, forTimeout: Bool)
        throws(ValidationError)
    {
        if qcView + 1 == view {
            guard tc == nil else { throw forTimeout ? .timeoutUnneededTC(view) : .unneededTC(view) }
            return
        }
        guard let tc else { throw forTimeout ? .timeoutMissingTC(view, qcView: qcView) : .missingTC(view, qcView: qcView) }
        guard tc.view == view - 1 else { throw .tcWrongView(view, tcView: tc.view) }  // view > qcView >= 0: no underflow
        guard qcView >= tc.highQC.view else {
            throw .qcOlderThanTCHighQC(view, qcView: qcView, tcHighQCView: tc.highQC.view)
        }
    }
}
