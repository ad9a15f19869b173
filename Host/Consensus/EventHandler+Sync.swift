/// Block sync, the core's side: fetching missing ancestors by id, and
/// catching up by height when the gap is too wide for that.
///
/// Nothing a peer sends here is trusted: every block must hash-link to the
/// tree (its id is the hash of its content) and carry valid certificates, and
/// Forks applies the 2-chain rule to it like to any other block (DESIGN §2),
/// so a lying peer costs verification time and nothing else.
extension EventHandler {
    /// Asks `peer` for a missing block and some ancestors — once per
    /// `fetchRetryMs`: every proposal that builds on the block would ask again.
    mutating func requestBlock(_ id: BlockID, from peer: ValidatorIndex) {
        guard !forks.contains(id) else { return }
        if let asked = outstandingFetches[id] {
            guard nowMs >= asked + config.fetchRetryMs else { return }
        } else {
            guard outstandingFetches.count < config.outstandingFetchesMax else { return }
        }
        outstandingFetches[id] = nowMs
        emit(.fetchBlock(id, from: peer))
    }

    /// The block to ask for when `id` is missing: if `id` is itself cached
    /// (waiting for its own parent), the oldest missing block under it. Every
    /// proposal of a chain we cannot connect then asks for the same block,
    /// once per retry interval, instead of each for its own parent.
    func oldestMissingAncestor(above id: BlockID) -> BlockID {
        var missing = id
        var steps = 0
        while let cached = pending[missing], steps < config.pendingProposalsMax {
            missing = cached.block.parentID
            steps += 1
        }
        return missing
    }

    /// Whether a block at `height` is too far above the finalized block to be
    /// reached by walking back from it by id.
    func isFarAhead(_ height: Height) -> Bool {
        height > forks.finalized.height + config.catchUpDistance
    }

    /// Asks `peer` for the finalized blocks right above ours: one batch in
    /// flight at a time, the next as soon as this one connects, the same one
    /// again after `fetchRetryMs` if it goes unanswered.
    mutating func requestCatchUp(from peer: ValidatorIndex) {
        let from = forks.finalized.height + 1
        if let inFlight = catchUp, inFlight.fromHeight == from, nowMs < inFlight.askedMs + config.fetchRetryMs { return }
        catchUp = CatchUpRequest(fromHeight: from, peer: peer, askedMs: nowMs)
        emit(.fetchFinalized(fromHeight: from, count: config.catchUpBatch, from: peer))
    }

    /// Accepts blocks that were asked for by id, or ancestors hash-linked to
    /// one that was; and, while a catch-up is in flight, blocks that extend
    /// the tree in height order. Each accepted block's certificates are checked.
    mutating func onBlocksFetched(_ blocks: [Block]) {
        var wanted = Set(outstandingFetches.keys)
        var byID: [Block] = []
        for block in blocks.sorted(by: { $0.view > $1.view }) where wanted.contains(block.id) {
            wanted.insert(block.parentID)
            outstandingFetches.removeValue(forKey: block.id)
            if certificatesAreValid(block) { byID.append(block) }
        }
        for block in byID.reversed() where !forks.contains(block.id) {
            connect(fetched(block))
        }
        let caughtUp = catchUp.map { onCatchUpBlocks(blocks, answering: $0) } ?? false
        if byID.isEmpty, !caughtUp, let first = blocks.first { emit(.dropped(.unexpectedBlock(first.id))) }
        // A leader that was waiting for its certified parent can propose now.
        startProposalIfLeader()
    }

    /// The by-height path: connects what extends the tree, and asks for the
    /// next batch while the newest unconnected proposal is still far ahead.
    /// Returns whether any block connected.
    private mutating func onCatchUpBlocks(_ blocks: [Block], answering request: CatchUpRequest) -> Bool {
        var connected = 0
        for block in blocks.sorted(by: { $0.height < $1.height })
        where block.height >= request.fromHeight && !forks.contains(block.id) {
            // In order, each hanging off the tree: a gap ends the batch.
            guard forks.contains(block.parentID), certificatesAreValid(block) else { break }
            connect(fetched(block))
            connected += 1
        }
        guard connected > 0 else { return false }
        catchUp = nil
        // Still far behind the newest cached proposal: the next batch. Close
        // enough: what is missing may not be final anywhere yet — ask by id
        // (no new proposal may come to ask for it if the view needs our vote).
        if let newest = pending.values.max(by: { $0.block.height < $1.block.height })?.block {
            if isFarAhead(newest.height) {
                requestCatchUp(from: request.peer)
            } else {
                let missing = oldestMissingAncestor(above: newest.parentID)
                if !forks.contains(missing) { requestBlock(missing, from: newest.proposer) }
            }
        }
        return true
    }

    /// A fetched block, with its signed proposal if that reached us too (the
    /// proposer's vote then counts once the block connects).
    private func fetched(_ block: Block) -> PendingBlock {
        PendingBlock(block: block, proposal: proposals[block.view].flatMap { $0.block.id == block.id ? $0 : nil })
    }

    /// A fetched block's own certificates (its QC, and the TC it may carry).
    private mutating func certificatesAreValid(_ block: Block) -> Bool {
        do throws(ValidationError) {
            try validator.validate(block.qc)
            if let tc = block.lastViewTC { try validator.validate(tc) }
            return true
        } catch {
            emit(.dropped(.invalid(error)))
            return false
        }
    }
}
