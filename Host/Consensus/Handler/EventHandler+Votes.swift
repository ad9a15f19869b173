/// Collecting votes at the leader of the next view.
extension EventHandler {
    /// `trusted`: the node's own vote, or a proposer's vote already verified
    /// with its proposal; its signature is not verified again.
    mutating func onVote(_ vote: Vote, trusted: Bool) {
        // Range first: views come from the wire and may be anything, up to UInt64.max.
        guard vote.view <= currentView + config.viewsAheadMax else {
            return emit(.dropped(.tooFarAhead(vote.view, current: currentView)))
        }
        guard vote.view + 1 >= currentView, vote.view > forks.finalized.view else {
            return emit(.dropped(.stale(vote.view)))
        }
        guard leader(of: vote.view + 1) == me, !isFollower else { return emit(.dropped(.notForMe(vote.view))) }
        var collector = votes[vote.view] ?? VoteCollector(view: vote.view)
        let validator = self.validator
        let outcome = collector.add(vote, committee: committee,
                                    verify: trusted ? nil : { (v: Vote) throws(ValidationError) in try validator.validate(v) })
        votes[vote.view] = collector
        switch outcome {
        case .added, .duplicate: break
        case .invalid(let error): emit(.dropped(.invalid(error)))
        case .equivocation(let evidence): emit(.evidence(evidence))
        case .certified(let qc):
            process(qc)
            // A leader that may not propose in the view its QC opens (SR-R:
            // recovering, or that view refused — a member new to the epoch)
            // forwards the QC, unsigned: the others enter that view at once
            // instead of timing out in the certified one. One view is lost, not two.
            if !mayPropose(in: qc.view + 1) {
                emit(.broadcast(.blockResponse(BlockResponse(requestID: 0, blocks: [], lastBlockQC: qc))))
            }
        }
    }

    /// Whether SR-R lets this node sign a proposal in `view`.
    func mayPropose(in view: View) -> Bool {
        !safety.muted && safety.data.highestVotedView < view && safety.data.votesRefusedThrough < view
    }
}
