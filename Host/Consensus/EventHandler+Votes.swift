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
        case .certified(let qc): process(qc)
        }
    }
}
