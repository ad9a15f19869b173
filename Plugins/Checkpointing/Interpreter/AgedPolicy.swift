import BatonPluginKit

/// The second shipped policy: checkpoint only heights that are multiples of
/// `every`, the lowest one above the last checkpoint, and only once it is
/// `min_age_ms` old by the chain's own clock (tip timestamp minus the block's)
/// and under at least `depth` blocks — slower, steadier checkpoints.
struct AgedPolicy: CheckpointPolicy {
    let every: UInt64
    let minAgeMs: UInt64
    let depth: UInt64

    init(_ config: InterpreterConfig) throws {
        every = config.value("every", default: 4)
        minAgeMs = config.value("min_age_ms", default: 2_000)
        depth = config.value("depth", default: 1)
        guard every >= 1 else { throw PluginFailure("checkpointing config: every must be at least 1") }
    }

    func nextHeight(after last: CheckpointPayload?) -> UInt64 { ((last?.height ?? 0) / every + 1) * every }

    func oldEnough(_ height: UInt64, on chain: ChainSnapshot) -> Bool {
        guard let block = chain.block(at: height) else { return false }
        return chain.tipTimestampMs >= block.timestampMs + minAgeMs
    }

    func candidate(after last: CheckpointPayload?, on chain: ChainSnapshot) -> CheckpointPayload? {
        let height = nextHeight(after: last)
        guard chain.extends(last), chain.depth(of: height) >= depth, oldEnough(height, on: chain),
              let block = chain.block(at: height) else { return nil }
        return CheckpointPayload(height: height, hash: block.hash)
    }

    func judge(_ candidate: CheckpointPayload, after last: CheckpointPayload?, on chain: ChainSnapshot) -> Judgement {
        guard candidate.height == nextHeight(after: last) else {
            return .invalid("checkpoint height \(candidate.height); the aged policy names \(nextHeight(after: last))")
        }
        let onChain = judgeOnChain(candidate, after: last, on: chain, depth: depth)
        guard onChain == .valid else { return onChain }
        return oldEnough(candidate.height, on: chain) ? .valid : .notYet("block \(candidate.height) is younger than \(minAgeMs) ms")
    }
}
