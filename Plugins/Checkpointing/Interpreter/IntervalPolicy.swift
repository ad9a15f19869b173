import BatonPluginKit

/// Metronome's rule: checkpoint the block at `last + interval` once it is
/// buried under `depth` blocks.
struct IntervalPolicy: CheckpointPolicy {
    let interval: UInt64
    let depth: UInt64

    init(_ config: InterpreterConfig) throws {
        interval = config.value("interval", default: 5)
        depth = config.value("depth", default: 3)
        guard interval >= 1 else { throw PluginFailure("checkpointing config: interval must be at least 1") }
    }

    func nextHeight(after last: CheckpointPayload?) -> UInt64 { (last?.height ?? 0) + interval }

    func candidate(after last: CheckpointPayload?, on chain: ChainSnapshot) -> CheckpointPayload? {
        let height = nextHeight(after: last)
        guard chain.extends(last), chain.depth(of: height) >= depth, let block = chain.block(at: height) else { return nil }
        return CheckpointPayload(height: height, hash: block.hash)
    }

    func judge(_ candidate: CheckpointPayload, after last: CheckpointPayload?, on chain: ChainSnapshot) -> Judgement {
        guard candidate.height == nextHeight(after: last) else {
            return .invalid("checkpoint height \(candidate.height); the interval policy names \(nextHeight(after: last))")
        }
        return judgeOnChain(candidate, after: last, on: chain, depth: depth)
    }
}
