/// Block sync, the core's side: fetching missing ancestors by id, and
/// catching up by height when the gap is too wide for that. Which peer is
/// asked, and when again, is `BlockSync`'s decision.
///
/// Nothing a peer sends here is trusted: every block must hash-link to the
/// tree (its id is the hash of its content) and carry valid certificates, and
/// Forks applies the 2-chain rule to it like to any other block (DESIGN §2),
/// so a lying peer costs verification time and nothing else.
extension EventHandler {
    /// Asks for a missing block and some ancestors — first of `hint`, once
    /// per `fetchRetryMs`, then of the other members in turn: every proposal
    /// that builds on the block would ask again.
    mutating func requestBlock(_ id: BlockID, hint: ValidatorIndex) {
        guard !forks.contains(id), let peer = blockSync.fetch(id, hint: hint, nowMs: nowMs) else { return }
        emit(.fetchBlock(id, from: peer))
    }

    /// Whether a block at `height` is too far above the finalized block to be
    /// reached by walking back from it by id.
    func isFarAhead(_ height: Height) -> Bool {
        height > forks.finalized.height + config.catchUpDistance
    }

    /// Asks for the finalized blocks right above ours: one batch in flight at
    /// a time, the next as soon as this one connects, the same one again
    /// (of the next member) after `fetchRetryMs` if it goes unanswered.
    mutating func requestCatchUp(hint: ValidatorIndex) {
        let from = forks.finalized.height + 1
        guard let peer = blockSync.catchUp(fromHeight: from, hint: hint, nowMs: nowMs) else { return }
        emit(.fetchFinalized(fromHeight: from, count: config.catchUpBatch, from: peer))
    }

    /// Accepts blocks that were asked for by id, or ancestors hash-linked to
    /// one that was; and, while a catch-up is in flight, blocks that extend
    /// the tree in height order. Each accepted block's certificates are checked.
    mutating func onBlocksFetched(_ blocks: [Block]) {
        var wantedParents: Set<BlockID> = []
        var byID: [Block] = []
        for block in blocks.sorted(by: { ($0.view, $0.id) > ($1.view, $1.id) })
        where blockSync.isAsked(block.id) || wantedParents.contains(block.id) {
            wantedParents.insert(block.parentID)
            blockSync.received(block.id)
            if certificatesAreValid(block) { byID.append(block) }
        }
        for block in byID.reversed() where !forks.contains(block.id) {
            connect(fetched(block))
        }
        let caughtUp = blockSync.catchUp.map { onCatchUpBlocks(blocks, fromHeight: $0.fromHeight, peer: blockSync.catchUpPeer!) }
            ?? false
        if byID.isEmpty, !caughtUp, let first = blocks.first { emit(.dropped(.unexpectedBlock(first.id))) }
        // A leader that was waiting for its certified parent can propose now.
        startProposalIfLeader()
    }

    /// The by-height path: connects what extends the tree, and asks for the
    /// next batch while the newest unconnected proposal is still far ahead.
    /// Returns whether any block connected.
    private mutating func onCatchUpBlocks(_ blocks: [Block], fromHeight: Height, peer: ValidatorIndex) -> Bool {
        var connected = 0
        for block in blocks.sorted(by: { ($0.height, $0.id) < ($1.height, $1.id) })
        where block.height >= fromHeight && !forks.contains(block.id) {
            // In order, each hanging off the tree: a gap ends the batch.
            guard forks.contains(block.parentID), certificatesAreValid(block) else { break }
            connect(fetched(block))
            connected += 1
        }
        guard connected > 0 else { return false }
        blockSync.catchUpAnswered()
        // Still far behind the newest cached proposal: the next batch, of the
        // peer that answered. Close enough: what is missing may not be final
        // anywhere yet — ask by id (no new proposal may come to ask for it if
        // the view needs our vote).
        if let newest = compliance.newest {
            if isFarAhead(newest.height) {
                requestCatchUp(hint: peer)
            } else {
                let missing = compliance.oldestMissingAncestor(above: newest.parentID)
                requestBlock(missing, hint: newest.proposer)
            }
        }
        return true
    }

    /// EP-4: the QC of an epoch's last chain block, sent by a peer that has
    /// switched epochs; it finalizes the epoch's last block here as it did there.
    mutating func onCertificateFetched(_ qc: QuorumCertificate) {
        do throws(ValidationError) {
            try validator.validate(qc)
        } catch {
            return emit(.dropped(.invalid(error)))
        }
        process(qc)
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
