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
    public func answer(_ request: BlockRequest) -> BlockResponse? {
        var blocks: [Block] = []
        var lastQC: QuorumCertificate?
        switch request.target {
        case .byID(let id, let ancestors):
            let count = 1 + min(Int(ancestors), limits.ancestorsMax)
            var cursor = try? store.block(id: id)
            var bytes = 0
            while let block = cursor, blocks.count < count, block.height > 0 {
                bytes += block.encoded.count
                if !blocks.isEmpty, bytes > limits.responseBytesMax { break }
                blocks.append(block)
                cursor = try? store.block(id: block.parentID)
            }
            blocks.reverse()
        case .finalized(let from, let count):
            var batch = (try? store.finalizedBlocks(from: from, limit: min(Int(count), limits.finalizedBatchMax))) ?? []
            var bytes = 0
            if let cut = batch.firstIndex(where: { bytes += $0.block.encoded.count; return bytes > limits.responseBytesMax }) {
                batch.removeSubrange(max(cut, 1)...)
            }
            blocks = batch.map(\.block)
            lastQC = batch.last?.qc
        }
        guard !blocks.isEmpty else { return nil }
        return BlockResponse(requestID: request.requestID, blocks: blocks, lastBlockQC: lastQC)
    }
}
