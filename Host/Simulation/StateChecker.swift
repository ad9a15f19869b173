import BatonCrypto
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
    private var honestStateHashes: [Height: Bytes32] = [0: .zero]
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
            checkExecutedState(of: block, node: node)
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

    /// Honest apps agree at every height (the simulated app is deterministic).
    mutating func executed(height: Height, hash: Bytes32, node: Int) {
        if let known = honestStateHashes[height], known != hash {
            fail("app agreement", "honest node \(node) reached \(hash.short) at height \(height), another \(known.short)")
        }
        honestStateHashes[height] = hash
    }

    /// AA-1 and AA-2: a finalized block was certified, so honest nodes voted
    /// for it only if its executed state hash is theirs.
    mutating func checkExecutedState(of block: Block, node: Int) {
        guard let known = honestStateHashes[block.executedHeight] else {
            return fail("app agreement", "node \(node) finalized \(block) whose executed height \(block.executedHeight) no honest app reached")
        }
        if known != block.executedStateHash {
            fail("app agreement", "node \(node) finalized \(block) carrying state \(block.executedStateHash.short) at height \(block.executedHeight); honest apps have \(known.short)")
        }
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
