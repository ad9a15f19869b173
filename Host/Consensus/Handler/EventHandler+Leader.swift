import BatonCrypto

/// Proposing, as the leader of the current view.
extension EventHandler {
    /// A leader with pending transactions asks its app for a payload at once
    /// (responsiveness); an idle one waits until `idleBlockIntervalMs` after
    /// the last block it saw, so an idle chain does not spin.
    mutating func startProposalIfLeader() {
        guard !isFollower, leader(of: currentView) == me, proposalRequested != currentView, mayPropose(in: currentView)
        else { return }
        let readyAt = lastBlockSeenMs + config.pacemaker.idleBlockIntervalMs
        if mempoolNonEmpty || nowMs >= readyAt {
            requestPayload()
        } else {
            emit(.scheduleTimer(.idleProposal(currentView), atMs: readyAt))
        }
    }

    mutating func requestPayload() {
        guard !isFollower, leader(of: currentView) == me, proposalRequested != currentView, mayPropose(in: currentView)
        else { return }
        let parentID = pacemaker.highestQC.blockID
        guard let parent = forks.block(parentID) else {
            // The certified parent has not arrived yet; propose once it has.
            return requestBlock(parentID, hint: pacemaker.highestQC.signers.first(where: { _ in true }) ?? 0)
        }
        proposalRequested = currentView
        emit(.produceBlock(ProposalContext(view: currentView, height: parent.height + 1, parentID: parentID,
                                           pendingAncestors: forks.pendingChain(to: parentID))))
    }

    /// The app's payload: build the block on the highest QC, sign it (the
    /// signature is the leader's vote), persist, then broadcast.
    mutating func onPayloadProduced(view: View, payload: [UInt8], included: [Bytes32], hostPayload: [UInt8] = []) {
        guard view == currentView, proposalRequested == view, let me else { return emit(.dropped(.stale(view))) }
        let qc = pacemaker.highestQC
        guard let parent = forks.block(qc.blockID) else { return emit(.dropped(.stale(view))) }
        // TC for view-1 iff the QC is not from view-1.
        let tc = qc.view + 1 == view ? nil : pacemaker.lastViewTC
        let claim = executedClaim(parent: parent)
        let block = Block(view: view, height: parent.height + 1, parentID: parent.id, qc: qc, lastViewTC: tc,
                          proposer: me, timestampMs: max(nowMs, parent.timestampMs), executedHeight: claim.height,
                          executedStateHash: claim.hash, payload: payload, includedTransactions: included,
                          hostPayload: hostPayload)
        let vote: Vote
        do throws(SafetyRules.Refusal) { vote = try safety.vote(for: block, currentView: view) } catch {
            // Flow's error contract: expected refusals are "no proposal"; the rest are fatal.
            return emit(error.isExpectedForOwnProposal ? .dropped(.refusedBySafetyRules(error)) : .halt(.ownProposalRefused(error)))
        }
        precondition(block.proposer == me && block.view == currentView, "a leader signs only its own block of its view")
        let proposal = Proposal(block: block, signature: vote.signature)
        emit(.persistSafetyData(safety.data))
        emit(.broadcast(.proposal(proposal)))
        proposals[view] = proposal
        connect(PendingBlock(block: block, proposal: proposal))
    }

    /// AA-0 (see `AppAgreement`): the executed state a block on `parent`
    /// claims — at the height its ancestry proves final, or the parent's
    /// claim, and never beyond what this node's app executed.
    func executedClaim(parent: Block) -> (height: Height, hash: Bytes32) {
        var provenFinal: Height?
        var child = parent  // certified: the new block carries its QC
        while child.id != forks.finalized.id, let grandparent = forks.block(child.parentID) {
            // 2-chain rule: a certified block directly after its parent (consecutive views) finalizes the parent.
            if child.view == grandparent.view + 1 {
                provenFinal = grandparent.height
                break
            }
            child = grandparent
        }
        let height = min(provenFinal ?? parent.executedHeight, appAgreement.executed.height)
        if let hash = appAgreement.ownHash(at: height) { return (height, hash) }
        // Not kept (only just after a restart from an old store): the parent's claim, which a quorum certified.
        return (parent.executedHeight, parent.executedStateHash)
    }
}
