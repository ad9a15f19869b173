/// Receiving proposals: the compliance layer (validate, connect, cache what
/// cannot connect yet) and voting.
extension EventHandler {
    mutating func onProposal(_ proposal: Proposal) {
        let block = proposal.block
        guard block.view > forks.finalized.view else { return emit(.dropped(.stale(block.view))) }
        if forks.contains(block.id) || compliance.isPending(block.id) { return }
        do throws(ValidationError) { try validator.validate(proposal, checkingLeader: false) } catch {
            return emit(.dropped(.invalid(error)))
        }
        // Its certificates are valid whatever becomes of the block: they may move us ahead.
        if let tc = block.lastViewTC { process(tc) }
        process(block.qc)
        // Proposal rule, the leader (LR-2): asked after the certificates are
        // taken, so this node knows the finalizations they prove, as the
        // proposer did when it asked.
        let leader = leader(of: block.view)
        guard block.proposer == leader else {
            return emit(.dropped(.invalid(.notLeader(block.view, expected: leader, got: block.proposer))))
        }
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

    /// Adds a block to Forks, or caches it and fetches its parent; then
    /// connects the cached descendants it unblocks, depth first, in (view, id)
    /// order. A worklist, not recursion: a cache of `pendingProposalsMax`
    /// blocks in one chain must not cost as many stack frames.
    mutating func connect(_ candidate: PendingBlock) {
        var work = [candidate]
        while let next = work.popLast() {
            guard attach(next) else { continue }
            // Reversed onto a stack: popped in (view, id) order.
            work.append(contentsOf: compliance.takeChildren(of: next.block.id).reversed())
        }
    }

    /// One block into Forks, or into the cache with its parent asked for.
    /// Returns whether it joined the tree.
    private mutating func attach(_ candidate: PendingBlock) -> Bool {
        let block = candidate.block
        let progress: [Forks.Progress]
        do throws(Forks.AddError) {
            progress = try forks.add(block)
        } catch .missingParent(let parentID, _) {
            // Far behind: catch up by height from below (before the cache
            // check — a full cache of unconnectable blocks is exactly the case
            // it resolves), while the walk back by id fills in from above what
            // is not final yet anywhere.
            if isFarAhead(block.height) { requestCatchUp(hint: block.proposer) }
            guard compliance.cache(candidate) else {
                emit(.dropped(.cacheFull))
                return false
            }
            requestBlock(compliance.oldestMissingAncestor(above: parentID), hint: block.proposer)
            return false
        } catch {
            emit(.dropped(.unconnectable(error)))
            return false
        }
        // Compliance: the core only ever holds blocks connected to the finalized chain.
        precondition(forks.contains(block.id), "a block Forks accepted must be in the tree")
        blockSync.received(block.id)
        lastBlockSeenMs = nowMs
        // AA-2: the block's QC certifies its parent's executed state.
        if let parent = forks.block(block.parentID) { noteCertified(parent) }
        emit(.persistBlock(block))
        apply(progress)
        if let proposal = candidate.proposal { afterConnecting(proposal) }
        return true
    }

    /// A connected proposal: the proposer's vote counts at the next leader, and
    /// a block of the current view goes to the app for validation before a vote.
    mutating func afterConnecting(_ proposal: Proposal) {
        let block = proposal.block
        if leader(of: block.view + 1) == me { onVote(proposal.proposerVote, trusted: true) }
        guard !isFollower, block.view == currentView, block.proposer != me,
              compliance.awaitValidation(block.id) else { return }
        emit(.validateBlock(block, pendingAncestors: forks.pendingChain(to: block.parentID)))
    }

    mutating func onPayloadValidated(_ id: BlockID, valid: Bool) {
        guard compliance.validated(id), let block = forks.block(id) else {
            return emit(.dropped(.unexpectedBlock(id)))
        }
        guard valid else { return }
        voteIfAppAgrees(block)
    }

    /// Votes go to the leader of the next view; to ourselves without the network.
    mutating func deliver(_ vote: Vote) {
        let next = leader(of: vote.view + 1)
        if next == me { onVote(vote, trusted: true) } else { emit(.send(.vote(vote), to: next)) }
    }
}
