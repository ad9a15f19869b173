/// Receiving proposals: the compliance layer (validate, connect, cache what
/// cannot connect yet) and voting.
extension EventHandler {
    mutating func onProposal(_ proposal: Proposal) {
        let block = proposal.block
        guard block.view > forks.finalized.view else { return emit(.dropped(.stale(block.view))) }
        if forks.contains(block.id) || pending[block.id] != nil { return }
        do throws(ValidationError) { try validator.validate(proposal) } catch {
            return emit(.dropped(.invalid(error)))
        }
        // Its certificates are valid whatever becomes of the block: they may move us ahead.
        if let tc = block.lastViewTC { process(tc) }
        process(block.qc)
        guard block.view <= currentView + config.viewsAheadMax else {
            return emit(.dropped(.tooFarAhead(block.view, current: currentView)))
        }
        if let earlier = proposals[block.view], earlier.block.id != block.id {
            emit(.evidence(.doubleProposal(earlier, proposal)))
        } else {
            proposals[block.view] = proposal
        }
        connect(PendingBlock(block: block, proposal: proposal))
    }

    /// Adds a block to Forks, or caches it and fetches its parent.
    mutating func connect(_ candidate: PendingBlock) {
        let block = candidate.block
        let progress: [Forks.Progress]
        do throws(Forks.AddError) {
            progress = try forks.add(block)
        } catch .missingParent(let parentID, _) {
            // Far behind: catch up by height from below (before the cache
            // check — a full cache of unconnectable blocks is exactly the case
            // it resolves), while the walk back by id fills in from above what
            // is not final yet anywhere.
            if isFarAhead(block.height) { requestCatchUp(from: block.proposer) }
            guard pending.count < config.pendingProposalsMax else { return emit(.dropped(.cacheFull)) }
            pending[block.id] = candidate
            requestBlock(oldestMissingAncestor(above: parentID), from: block.proposer)
            return
        } catch {
            return emit(.dropped(.unconnectable(error)))
        }
        lastBlockSeenMs = nowMs
        emit(.persistBlock(block))
        apply(progress)
        if let proposal = candidate.proposal { afterConnecting(proposal) }
        // Cached descendants waiting for this block can connect now, in a
        // fixed order (dictionary order differs between runs and processes).
        let children = pending.values.filter { $0.block.parentID == block.id }
            .sorted { ($0.block.view, $0.block.id) < ($1.block.view, $1.block.id) }
        for child in children {
            pending.removeValue(forKey: child.block.id)
            connect(child)
        }
    }

    /// A connected proposal: the proposer's vote counts at the next leader, and
    /// a block of the current view goes to the app for validation before a vote.
    mutating func afterConnecting(_ proposal: Proposal) {
        let block = proposal.block
        if leader(of: block.view + 1) == me { onVote(proposal.proposerVote, trusted: true) }
        guard !isFollower, block.view == currentView, block.proposer != me,
              awaitingValidation.insert(block.id).inserted else { return }
        emit(.validateBlock(block, pendingAncestors: forks.pendingChain(to: block.parentID)))
    }

    mutating func onPayloadValidated(_ id: BlockID, valid: Bool) {
        guard awaitingValidation.remove(id) != nil, let block = forks.block(id) else {
            return emit(.dropped(.unexpectedBlock(id)))
        }
        guard valid else { return }
        let vote: Vote
        do throws(SafetyRules.Refusal) { vote = try safety.vote(for: block, currentView: currentView) } catch {
            return emit(.dropped(.refusedBySafetyRules(error)))
        }
        emit(.persistSafetyData(safety.data))
        deliver(vote)
    }

    /// Votes go to the leader of the next view; to ourselves without the network.
    mutating func deliver(_ vote: Vote) {
        let next = leader(of: vote.view + 1)
        if next == me { onVote(vote, trusted: true) } else { emit(.send(.vote(vote), to: next)) }
    }
}
