import Consensus

/// Block sync, the serving side (HotStuff-rs' block sync server): answers a
/// peer's request from the store, never more than the limits below, whatever
/// the request asks for. A request for something the store does not hold
/// gets no answer (the asker's `BlockSync` moves on to another member).
public struct BlockSyncServer: Sendable {
    public struct Limits: Hashable, Sendable {
        /// Ancestors sent along with a block asked for by id. The asker walks
        /// back from a proposal it cannot connect; more than this and it
        /// switches to catch-up by height (`ConsensusConfig.catchUpDistance`).
        public var ancestorsMax = 64
        /// Finalized blocks in one catch-up answer.
        public var finalizedBatchMax = 128
        /// Encoded blocks in one answer, in bytes: half a message, so the
        /// answer with its certificates always fits one frame
        /// (`WireLimits.messageBytesMax`), whatever the payload sizes. At
        /// least one block is always sent (a block alone fits by the limits).
        public var responseBytesMax = WireLimits.standard.messageBytesMax / 2

        public init() {}
    }

    public let limits: Limits
    let store: any ConsensusStore

    public init(store: any ConsensusStore, limits: Limits = Limits()) {
        precondition(limits.ancestorsMax >= 0 && limits.finalizedBatchMax > 0, "block sync limits must be positive")
        self.store = store
        self.limits = limits
    }

    /// The answer to `request`, or nil when there is nothing to send.
    /// Storage errors are answered with silence: the asker retries elsewhere.
    /// `epochs`: this node's switch records (EP-4) — a batch by height never
    /// crosses the end of an epoch: it stops at the epoch's last block and
    /// carries the record's blocks above it and their QC, which finalize that
    /// block for an asker still in the epoch.
    public func answer(_ request: BlockRequest, epochs: [EpochRecord] = []) -> BlockResponse? {
        var blocks: [Block] = []
        var lastQC: QuorumCertificate?
        switch request.target {
        case .byID(let id, let ancestors):
            // Newest first while walking, so the byte budget keeps the block asked for.
            let count = 1 + min(Int(ancestors), limits.ancestorsMax)
            var cursor = try? store.block(id: id)
            while let block = cursor, blocks.count < count, block.height > 0 {
                blocks.append(block)
                cursor = try? store.block(id: block.parentID)
            }
            blocks = Array(blocks.prefix(countWithinBudget(blocks)).reversed())
        case .finalized(let from, let count):
            var batch = (try? store.finalizedBlocks(from: from, limit: min(Int(count), limits.finalizedBatchMax))) ?? []
            let end = epochs.first { $0.change.root.height >= from }?.change
            if let end { batch = batch.filter { $0.block.height <= end.root.height } }
            let kept = batch.prefix(countWithinBudget(batch.map(\.block)))
            blocks = kept.map(\.block)
            lastQC = kept.last?.qc
            if let end, blocks.last?.id == end.root.id {
                blocks += end.above
                lastQC = end.qc
            }
        }
        guard !blocks.isEmpty else { return nil }
        return BlockResponse(requestID: request.requestID, blocks: blocks, lastBlockQC: lastQC)
    }

    /// How many of `blocks`, from the first, fit `responseBytesMax` encoded
    /// (at least one: a block alone always fits a frame).
    func countWithinBudget(_ blocks: [Block]) -> Int {
        var bytes = 0
        for (index, block) in blocks.enumerated() {
            bytes += block.encoded.count
            if bytes > limits.responseBytesMax { return max(index, 1) }
        }
        return blocks.count
    }
}
