/// Fetching missing ancestors (the core's side of block sync).
extension EventHandler {
    mutating func requestBlock(_ id: BlockID, from peer: ValidatorIndex) {
        guard !forks.contains(id), outstandingFetches[id] == nil,
              outstandingFetches.count < config.outstandingFetchesMax else { return }
        outstandingFetches[id] = currentView
        emit(.fetchBlock(id, from: peer))
    }

    /// Accepts only blocks that were asked for, or ancestors hash-linked to
    /// one that was: a block's id is the hash of its content, so linkage is
    /// proof of identity. Each accepted block's own certificates are checked.
    mutating func onBlocksFetched(_ blocks: [Block]) {
        var wanted = Set(outstandingFetches.keys)
        var accepted: [Block] = []
        for block in blocks.sorted(by: { $0.view > $1.view }) where wanted.contains(block.id) {
            wanted.insert(block.parentID)
            outstandingFetches.removeValue(forKey: block.id)
            do throws(ValidationError) {
                try validator.validate(block.qc)
                if let tc = block.lastViewTC { try validator.validate(tc) }
            } catch {
                emit(.dropped(.invalid(error)))
                continue
            }
            accepted.append(block)
        }
        if accepted.isEmpty, let first = blocks.first { emit(.dropped(.unexpectedBlock(first.id))) }
        for block in accepted.reversed() where !forks.contains(block.id) {
            connect(PendingBlock(block: block, proposal: proposals[block.view].flatMap { $0.block.id == block.id ? $0 : nil }))
        }
        // A leader that was waiting for its certified parent can propose now.
        startProposalIfLeader()
    }
}
