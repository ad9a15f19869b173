import Consensus

/// The invariants, checked after every step. Separate from the simulator so
/// they cannot be bent by it (TigerBeetle's state checker is the model).
struct StateChecker {
    struct Violation: Hashable, Sendable, CustomStringConvertible {
        let invariant: String
        let detail: String
        var description: String { "\(invariant): \(detail)" }
    }

    private var finalizedByHeight: [Height: BlockID] = [:]
    private var chains: [Int: [Block]] = [:]
    private var signedVotes: [ValidatorIndex: [View: BlockID]] = [:]
    private(set) var lastFinalizedAtMs: [Int: UInt64] = [:]
    private(set) var violations: [Violation] = []

    mutating func fail(_ invariant: String, _ detail: String) {
        if violations.count < 16 { violations.append(Violation(invariant: invariant, detail: detail)) }
    }

    /// Agreement and chain: no two honest nodes finalize different blocks at
    /// one height, and each node's finalized sequence is a chain.
    mutating func finalized(_ blocks: [Block], node: Int, nowMs: UInt64) {
        var chain = chains[node, default: []]
        for block in blocks {
            if let known = finalizedByHeight[block.height], known != block.id {
                fail("agreement", "node \(node) finalized \(block) at height \(block.height), another honest node \(known.short)")
            }
            finalizedByHeight[block.height] = block.id
            if let last = chain.last, block.height <= last.height {
                // A restarted node re-finalizes what it had: it must be the same block.
                let earlier = chain[Int(block.height) - 1]
                if earlier.id != block.id { fail("chain", "node \(node) re-finalized height \(block.height) differently") }
                continue
            }
            let expectedHeight = (chain.last?.height ?? 0) + 1
            let expectedParent = chain.last?.id
            if block.height != expectedHeight || (expectedParent != nil && block.parentID != expectedParent) {
                fail("chain", "node \(node) finalized \(block) after height \(chain.last?.height ?? 0): not its child")
            }
            chain.append(block)
            lastFinalizedAtMs[node] = nowMs
        }
        chains[node] = chain
    }

    /// No honest node signs two votes in one view, across crashes too.
    mutating func signed(_ vote: Vote, node: Int) {
        if let earlier = signedVotes[vote.signer]?[vote.view], earlier != vote.blockID {
            fail("double vote", "honest node \(node) (member \(vote.signer)) voted for \(earlier.short) and \(vote.blockID.short) in view \(vote.view)")
        }
        signedVotes[vote.signer, default: [:]][vote.view] = vote.blockID
    }

    /// Bounded memory: every cache and collector within its configured bound.
    mutating func memory(_ d: EventHandler.Diagnostics, config: ConsensusConfig, node: Int, view: View, finalizedView: View) {
        let viewsKept = Int(config.viewsAheadMax) + 3
        if d.voteCollectors > viewsKept || d.timeoutCollectors > viewsKept {
            fail("memory", "node \(node) keeps \(d.voteCollectors) vote and \(d.timeoutCollectors) timeout collectors (bound \(viewsKept))")
        }
        if d.pendingBlocks > config.pendingProposalsMax || d.outstandingFetches > config.outstandingFetchesMax {
            fail("memory", "node \(node) caches \(d.pendingBlocks) blocks and \(d.outstandingFetches) fetches")
        }
        let span = Int(view - min(view, finalizedView)) + Int(config.viewsAheadMax) + 2
        if d.forkBlocks > 3 * span || d.proposalsTracked > span {
            fail("memory", "node \(node) holds \(d.forkBlocks) blocks over \(span) views")
        }
    }

    func finalizedHeight(_ node: Int) -> Height { chains[node]?.last?.height ?? 0 }
    var heightsAgreed: Int { finalizedByHeight.count }
}
