/// Which block to checkpoint next, and whether another member's candidate is
/// acceptable: the part of the interpreter that differs between the two
/// shipped `.so` files.
protocol CheckpointPolicy: Sendable {
    init(_ config: InterpreterConfig) throws

    /// The candidate this member would propose after `last`, or nil (none is
    /// ready: the round agrees on an empty block).
    func candidate(after last: CheckpointPayload?, on chain: ChainSnapshot) -> CheckpointPayload?

    /// A candidate's verdict on this member's chain.
    func judge(_ candidate: CheckpointPayload, after last: CheckpointPayload?, on chain: ChainSnapshot) -> Judgement
}

enum Judgement: Hashable, Sendable {
    case valid
    /// Wrong for any chain (e.g. not the height the policy names).
    case invalid(String)
    /// This member's chain node does not show it (yet): wait, bounded.
    case notYet(String)
}

extension CheckpointPolicy {
    /// What both policies check once they know the height is right: the
    /// candidate is on this member's best chain, buried deep enough, and the
    /// chain still holds the previous checkpoint.
    func judgeOnChain(_ candidate: CheckpointPayload, after last: CheckpointPayload?, on chain: ChainSnapshot,
                      depth: UInt64) -> Judgement {
        guard chain.extends(last) else {
            return .notYet("the local chain does not hold the previous checkpoint #\(last!.height)")
        }
        guard let block = chain.block(at: candidate.height) else {
            return .notYet("the local chain has no block at height \(candidate.height) yet (tip \(chain.tipHeight))")
        }
        guard block.hash == candidate.hash else {
            return .notYet("the local chain's block at height \(candidate.height) is another one")
        }
        guard chain.depth(of: candidate.height) >= depth else {
            return .notYet("block \(candidate.height) is under \(chain.depth(of: candidate.height)) blocks, \(depth) needed")
        }
        return .valid
    }
}
