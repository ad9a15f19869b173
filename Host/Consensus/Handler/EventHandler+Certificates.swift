/// QCs and TCs: the only way views change and blocks become final.
extension EventHandler {
    /// A valid QC: record it in Forks (2-chain finality) and the pacemaker.
    mutating func process(_ qc: QuorumCertificate) {
        if qc.view > pacemaker.highestQC.view { emit(.certified(qc.blockID, view: qc.view)) }
        apply(forks.add(qc))
        if let block = forks.block(qc.blockID) { noteCertified(block) }  // AA-2
        if let view = pacemaker.process(qc) { enterView(view, cause: .qc) }
    }

    /// A valid TC: the pacemaker may enter the next view.
    mutating func process(_ tc: TimeoutCertificate) {
        apply(forks.add(tc.highQC))
        let before = pacemaker.currentView
        if let view = pacemaker.process(tc) {
            enterView(view, cause: .tc)
        } else if pacemaker.currentView != before {
            enterView(pacemaker.currentView, cause: .qc)
        }
    }

    mutating func apply(_ progress: [Forks.Progress]) {
        for step in progress {
            switch step {
            case .finalized(let finalization):
                emit(.finalized(recordingLeaders(of: finalization)))
                pruneBelowFinalized()
            case .safetyFault(let fault):
                emit(.safetyFault(fault.description))
            }
        }
    }

    /// Entering a view (only ever forwards): arm its timer, forget what is
    /// too old, and propose if this node leads it.
    mutating func enterView(_ view: View, cause: Pacemaker.Cause) {
        precondition(view == pacemaker.currentView, "the core enters only the pacemaker's view")
        emit(.enteredView(view, cause: cause))
        emit(.persistLiveness(LivenessData(currentView: view, highestQC: pacemaker.highestQC,
                                           lastViewTC: pacemaker.lastViewTC)))
        if !isFollower { emit(.scheduleTimer(.viewTimeout(view), atMs: nowMs + pacemaker.timeoutMs)) }
        let keepFrom = view > 0 ? view - 1 : 0
        votes = votes.filter { $0.key >= keepFrom }
        timeouts = timeouts.filter { $0.key >= keepFrom }
        proposalRequested = nil
        _ = appAgreement.takeDeferred()  // AA-1: a deferred vote lives as long as its view
        startProposalIfLeader()
    }

    mutating func pruneBelowFinalized() {
        let floor = forks.finalized.view
        compliance.prune(finalizedView: floor, stillIn: forks)
        proposals = proposals.filter { $0.key > floor }
        forks.forgetOrphanCertificates(atOrBelow: floor)
    }

    /// LR-1: each finalized block's record, learnt by the election in chain
    /// order and carried with the finalization for the store. The blamed
    /// leader is the election's own for that view (its anchor is older than
    /// the block), so the records are a function of the chain.
    ///
    /// LR-5: a block whose parent is not from the view before blames the
    /// leader of the view before (view − 1) alone. That leader proposed
    /// nothing a quorum voted for: this block's proposer collected view
    /// v − 1's votes, and would have built on them. Earlier failed views are
    /// not blamed on their leaders: their votes went to the next leader, and a
    /// crashed successor would have made an honest leader look failed.
    mutating func recordingLeaders(of finalization: Forks.Finalization) -> Forks.Finalization {
        var finalization = finalization
        finalization.leaderRecords = finalization.blocks.map { block in
            let failed = block.view > block.qc.view + 1 ? [election.leader(of: block.view - 1)] : []
            let record = LeaderRecord(height: block.height, view: block.view, proposer: block.proposer,
                                      voters: block.qc.signers, failedLeaders: failed)
            election.learn(record)
            return record
        }
        return finalization
    }
}
