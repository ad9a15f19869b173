/// What the interpreter knows of its own chain node's best chain: the tip and
/// the blocks from the last checkpoint up. Policies judge candidates against it.
struct ChainSnapshot: Sendable {
    struct Block: Sendable, Hashable {
        let hash: [UInt8]
        let timestampMs: UInt64
    }

    let tipHeight: UInt64
    let tipTimestampMs: UInt64
    /// Best-chain blocks by height (a window, not the whole chain).
    let blocks: [UInt64: Block]

    func block(at height: UInt64) -> Block? { blocks[height] }

    /// How many blocks are on top of `height`.
    func depth(of height: UInt64) -> UInt64 { tipHeight >= height ? tipHeight - height : 0 }

    /// The best chain holds `last` (or there is no last checkpoint yet).
    func extends(_ last: CheckpointPayload?) -> Bool {
        guard let last else { return true }
        return block(at: last.height)?.hash == last.hash
    }
}
