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
    /// By signer's key and epoch: views repeat across epochs, and a vote of
    /// one epoch is in another signing domain than a vote of the next (EP-2).
    private var signedVotes: [SignerInEpoch: [View: BlockID]] = [:]
    private struct SignerInEpoch: Hashable {
        let key: PublicKey
        let epoch: Epoch
    }
    private(set) var lastFinalizedAtMs: [Int: UInt64] = [:]
    private(set) var violations: [Violation] = []
    /// The block each epoch started from (EP-3), as the first node to switch saw it.
    private var epochRoots: [Epoch: BlockID] = [:]
    /// Certificates already checked against their epoch's committee.
    private var certificatesChecked: Set<QuorumCertificate> = []
    /// Checks certificates as the cores do: real secp256k1 when the run signs for real.
    private let verifier: CountingVerifier

    init(realSignatures: Bool = false) { verifier = CountingVerifier(real: realSignatures) }

    /// LR-2: the leader elected for each (epoch, view, anchor), and by whom.
    /// Bounded: views more than `electedViewsKept` below the newest are forgotten.
    private var elected: [ElectionKey: (leader: PublicKey, node: Int)] = [:]
    private var newestElectedView: View = 0
    private static let electedViewsKept: View = 1_000
    private struct ElectionKey: Hashable {
        let epoch: Epoch
        let view: View
        let anchorHeight: Height?
    }

    /// LR-2: two honest nodes that elect from the same history (the same
    /// anchor, or none) elect the same leader. Local impressions in the
    /// election (timeouts seen, connections lost) break exactly this.
    mutating func elected(_ leader: PublicKey, view: View, epoch: Epoch, anchor: (height: Height, view: View)?, node: Int) {
        let key = ElectionKey(epoch: epoch, view: view, anchorHeight: anchor?.height)
        if let earlier = elected[key], earlier.leader != leader {
            fail("leader agreement", "nodes \(earlier.node) and \(node) elected different leaders for view \(view) of epoch \(epoch) from the same history (anchor h\(anchor?.height ?? 0))")
        }
        elected[key] = (leader, node)
        if view > newestElectedView + Self.electedViewsKept {
            newestElectedView = view
            elected = elected.filter { $0.key.view + Self.electedViewsKept > view }
        }
    }

    mutating func fail(_ invariant: String, _ detail: String) {
        if violations.count < 16 { violations.append(Violation(invariant: invariant, detail: detail)) }
    }

    /// Agreement and chain: no two honest nodes finalize different blocks at
    /// one height, and each node's finalized sequence is a chain.
    mutating func finalized(_ blocks: [Block], node: Int, nowMs: UInt64) {
        // Moved out and back, not copied: a copy per call made long scripted runs quadratic.
        var chain = chains.removeValue(forKey: node) ?? []
        defer { chains[node] = chain }
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
    }

    /// EP-1: every honest node starts an epoch from the same block, and only
    /// with a record that proves that block final under the committee before.
    mutating func switched(node: Int, to change: EpochChange, previous: Committee) {
        if let known = epochRoots[change.epoch], known != change.root.id {
            fail("epoch", "node \(node) started epoch \(change.epoch) from \(change.root), another honest node from \(known.short)")
        }
        epochRoots[change.epoch] = change.root.id
        do { try change.verify(previous: previous, verifier: verifier) } catch {
            fail("epoch", "node \(node) switched to epoch \(change.epoch) on a record that does not verify: \(error)")
        }
    }

    /// EP-2, EP-3: every certificate in what an honest node finalized was
    /// signed by the committee in force for it — the committee of the epoch
    /// the node is in (it finalizes only blocks of its own epoch), rooted at
    /// that epoch's first block, `root`.
    mutating func certified(_ finalization: Forks.Finalization, node: Int, committee: Committee, root: Block) {
        check(finalization.blocks.map(\.qc) + [finalization.child.qc, finalization.childQC], node: node,
              committee: committee, root: root)
    }

    /// The same for what an honest leader proposes: the QC (and TC) it
    /// formed or adopted must be its epoch committee's — a certificate
    /// counting a signature of another epoch never leaves an honest node.
    mutating func proposed(_ proposal: Proposal, node: Int, committee: Committee, root: Block) {
        sent(qc: proposal.block.qc, tc: proposal.block.lastViewTC, node: node, committee: committee, root: root)
    }

    /// What an honest node sends in a timeout, or a proposal: its QC and TC.
    mutating func sent(qc: QuorumCertificate, tc: TimeoutCertificate?, node: Int, committee: Committee, root: Block) {
        check([qc] + (tc.map { [$0.highQC] } ?? []), node: node, committee: committee, root: root)
        guard let tc else { return }
        do throws(ValidationError) {
            try Validator(committee: committee, root: .root(of: root), verifier: verifier).validate(tc)
        } catch {
            fail("certificate", "honest node \(node) proposed with \(tc), which the epoch \(committee.epoch) committee did not sign: \(error)")
        }
    }

    private mutating func check(_ qcs: [QuorumCertificate], node: Int, committee: Committee, root: Block) {
        let validator = Validator(committee: committee, root: .root(of: root), verifier: verifier)
        for qc in qcs where !certificatesChecked.contains(qc) {
            do throws(ValidationError) {
                try validator.validate(qc)
                certificatesChecked.insert(qc)
            } catch {
                fail("certificate", "honest node \(node) holds \(qc), which the epoch \(validator.committee.epoch) committee did not sign: \(error)")
            }
        }
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

    /// No honest node signs two votes in one view of one epoch, across crashes too.
    mutating func signed(_ vote: Vote, node: Int, key: PublicKey, epoch: Epoch) {
        let signer = SignerInEpoch(key: key, epoch: epoch)
        if let earlier = signedVotes[signer]?[vote.view], earlier != vote.blockID {
            fail("double vote", "honest node \(node) (member \(vote.signer) of epoch \(epoch)) voted for \(earlier.short) and \(vote.blockID.short) in view \(vote.view)")
        }
        signedVotes[signer, default: [:]][vote.view] = vote.blockID
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
