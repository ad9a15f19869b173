import BatonCrypto

/// The app-agreement rule (DESIGN "wave 2": the host checks the application,
/// not only the blocks), as a value: the state hashes this node's app reached,
/// and the ones a quorum certified, compared height by height.
///
/// **The rule.** Every block carries `(executedHeight, executedStateHash)`:
/// the state hash its proposer's app reached after committing the finalized
/// block at `executedHeight` (always below the block's own height).
/// 1. *Voting* (AA-1): an honest node votes for a block only if its own app's
///    hash at `executedHeight` equals the block's. If its app has not
///    executed that far yet, the vote is deferred until it has — for as long
///    as the block's view is current, and no longer. If the height is below
///    what it still remembers (`retainedHeights`), it does not vote.
/// 2. *Certification* (AA-2): a block that gained a QC was voted for by more
///    than a third of honest weight, each of which checked (1); so the pair
///    it carries is the honest apps' state. The node learns it when a child
///    block arrives carrying that QC.
/// 3. *Divergence* (AA-3): a node whose own hash at a height differs from a
///    certified hash for that height has a divergent app. It stops at once
///    (`HaltReason.appDiverged`), never the honest majority: their hashes
///    agree with the certificate.
///
/// **What a proposer claims** (AA-0): not simply its latest state, but the
/// state at the highest height that the block's own ancestry proves final
/// (the parent of the topmost 2-chain between the block's parent and the
/// proposer's finalized block), or else the parent's claim. Every voter that
/// connects the block finalizes that height from the same ancestry, and its
/// app commits it before the block's validation completes; so an honest
/// proposal can always be checked at once, and deferral (AA-1) only waits
/// out a voter's own late commits. A claim of its latest state could name a
/// height only the proposer has finalized (it saw a QC the others did not, or
/// restarted with a later finalized block than its recovered highest QC),
/// and voters would wait for it in vain.
///
/// Consequences: with one divergent node the others keep finalizing (they
/// refuse its proposals, which costs its views, until it stops itself);
/// with every node divergent no proposal gathers a quorum after the first
/// height where they differ, and the chain stops finalizing — safety over
/// liveness — every node refusing proposals with `DropReason.appStateDisagrees`.
///
/// Bounds: `retainedHeights` own hashes (40 bytes each: 1,024 heights is
/// 40 KiB) and as many certified hashes for heights not executed yet; the
/// deferred votes are those of the current view, at most `deferredMax`.
public struct AppAgreement: Sendable {
    /// What the node's own app disagrees with, for logs, metrics and status.
    public struct Mismatch: Hashable, Sendable, CustomStringConvertible {
        public let height: Height
        public let ownHash: Bytes32
        /// The block's (AA-1) or the quorum's (AA-3) hash at `height`.
        public let otherHash: Bytes32
        /// The block carrying `otherHash`.
        public let blockID: BlockID
        public let proposer: ValidatorIndex

        public var description: String {
            "at height \(height) this node's app state hash is \(ownHash.hex), block \(blockID.short) of member \(proposer) carries \(otherHash.hex)"
        }
    }

    /// Whether a block's executed state lets this node vote for it (AA-1).
    public enum Verdict: Hashable, Sendable {
        case agrees
        /// The app has not executed `executedHeight` yet: vote later, maybe.
        case notExecutedYet
        /// Below the retained window (e.g. just after a restart): not checkable.
        case forgotten
        case disagrees(Mismatch)
    }

    let retainedHeights: Int
    let deferredMax: Int
    /// The highest height the app executed, and its hash there (always kept in `ownHashes`).
    public private(set) var executedHeight: Height = 0
    public var executed: (height: Height, hash: Bytes32) { (executedHeight, ownHashes[executedHeight] ?? .zero) }
    /// Own hash per executed height, the newest `retainedHeights` of them.
    private var ownHashes: [Height: Bytes32] = [0: .zero]
    /// Certified hashes for heights the app has not executed yet (AA-2).
    private var certifiedAhead: [Height: (hash: Bytes32, block: BlockID, proposer: ValidatorIndex)] = [:]
    /// Blocks of the current view that passed validation and wait for the app
    /// to reach their executed height (AA-1's deferral).
    private(set) var deferred: [BlockID] = []

    init(retainedHeights: Int, deferredMax: Int = 4) {
        precondition(retainedHeights > 0 && deferredMax > 0, "the app-agreement window needs room")
        self.retainedHeights = retainedHeights
        self.deferredMax = deferredMax
    }

    /// The app reached `hash` at `height`. Returns the divergence if a quorum
    /// certified another hash for it (AA-3).
    mutating func executed(height: Height, hash: Bytes32) -> Mismatch? {
        executedHeight = max(executedHeight, height)
        ownHashes[height] = hash
        // Amortized pruning: a full scan once per `retainedHeights` insertions.
        if ownHashes.count > 2 * retainedHeights {
            let floor = executedHeight >= Height(retainedHeights) ? executedHeight - Height(retainedHeights) : 0
            ownHashes = ownHashes.filter { $0.key > floor }
        }
        guard let certified = certifiedAhead.removeValue(forKey: height), certified.hash != hash else { return nil }
        return Mismatch(height: height, ownHash: hash, otherHash: certified.hash, blockID: certified.block,
                        proposer: certified.proposer)
    }

    /// `block` is certified (AA-2): its executed pair is the quorum's. Returns
    /// the divergence if this node's app reached another hash there (AA-3).
    mutating func certified(_ block: Block) -> Mismatch? {
        let height = block.executedHeight
        if let own = ownHashes[height] {
            guard own != block.executedStateHash else { return nil }
            return Mismatch(height: height, ownHash: own, otherHash: block.executedStateHash, blockID: block.id,
                            proposer: block.proposer)
        }
        // Not executed yet: compared when it is. Below the window: unknowable.
        if height > executedHeight, certifiedAhead.count < retainedHeights, certifiedAhead[height] == nil {
            certifiedAhead[height] = (block.executedStateHash, block.id, block.proposer)
        }
        return nil
    }

    /// This node's app's hash at `height`, if it is still kept.
    func ownHash(at height: Height) -> Bytes32? { ownHashes[height] }

    /// AA-1 for `block`.
    func verdict(for block: Block) -> Verdict {
        let height = block.executedHeight
        if let own = ownHashes[height] {
            if own == block.executedStateHash { return .agrees }
            return .disagrees(Mismatch(height: height, ownHash: own, otherHash: block.executedStateHash,
                                       blockID: block.id, proposer: block.proposer))
        }
        return height > executedHeight ? .notExecutedYet : .forgotten
    }

    /// Defers the vote for `id` until the app executes far enough; false
    /// when the bound is reached (the vote is then not cast).
    mutating func deferVote(_ id: BlockID) -> Bool {
        if deferred.contains(id) { return true }
        guard deferred.count < deferredMax else { return false }
        deferred.append(id)
        return true
    }

    /// The deferred votes, handed back for another verdict; none remain.
    mutating func takeDeferred() -> [BlockID] {
        defer { deferred.removeAll() }
        return deferred
    }

    var retainedCount: Int { ownHashes.count }
    var certifiedAheadCount: Int { certifiedAhead.count }
}
