/// The compliance layer's state (DESIGN §2), as a value: blocks that passed
/// validation but cannot join the tree yet because an ancestor is missing,
/// and the connected blocks waiting for the app's verdict before a vote.
///
/// Invariants: at most `pendingMax` blocks are cached; no cached block is at
/// or below the finalized view after `prune`. Every choice among cached
/// blocks is ordered by (height, view, id) — never by `Dictionary` order,
/// which Swift seeds per process — so a simulator seed replays identically
/// in another process.
public struct Compliance: Sendable {
    /// A block that cannot join the tree yet: its parent is missing.
    struct PendingBlock: Sendable {
        let block: Block
        /// The signed proposal, if the block came as one (the proposer's vote
        /// then counts once the block connects).
        let proposal: Proposal?
    }

    let pendingMax: Int
    private(set) var pending: [BlockID: PendingBlock] = [:]
    private(set) var awaitingValidation: Set<BlockID> = []

    init(pendingMax: Int) {
        precondition(pendingMax > 0, "the cache of unconnected blocks needs room")
        self.pendingMax = pendingMax
    }

    var pendingCount: Int { pending.count }
    func isPending(_ id: BlockID) -> Bool { pending[id] != nil }

    /// Caches `candidate` until its parent arrives; false when the cache is full.
    mutating func cache(_ candidate: PendingBlock) -> Bool {
        if pending[candidate.block.id] != nil { return true }
        guard pending.count < pendingMax else { return false }
        pending[candidate.block.id] = candidate
        precondition(pending.count <= pendingMax, "the compliance cache outgrew its bound")
        return true
    }

    /// Removes and returns the cached children of `id`, by (view, id).
    mutating func takeChildren(of id: BlockID) -> [PendingBlock] {
        let children = pending.values.filter { $0.block.parentID == id }
            .sorted { ($0.block.view, $0.block.id) < ($1.block.view, $1.block.id) }
        for child in children { pending.removeValue(forKey: child.block.id) }
        return children
    }

    /// The block to ask for when `id` is missing: if `id` is itself cached
    /// (waiting for its own parent), the oldest missing block under it. Every
    /// proposal of a chain we cannot connect then asks for the same block.
    func oldestMissingAncestor(above id: BlockID) -> BlockID {
        var missing = id
        var steps = 0
        while let cached = pending[missing], steps < pendingMax {
            missing = cached.block.parentID
            steps += 1
        }
        return missing
    }

    /// The highest cached block; ties by view, then id.
    var newest: Block? {
        pending.values.map(\.block).max { ($0.height, $0.view, $0.id) < ($1.height, $1.view, $1.id) }
    }

    /// Marks a connected block as sent to the app; false if it already was.
    mutating func awaitValidation(_ id: BlockID) -> Bool { awaitingValidation.insert(id).inserted }

    /// The app's verdict on `id` arrived; false if none was awaited.
    mutating func validated(_ id: BlockID) -> Bool { awaitingValidation.remove(id) != nil }

    /// Forgets cached blocks at or below the finalized view, and verdicts
    /// awaited for blocks Forks no longer holds.
    mutating func prune(finalizedView: View, stillIn forks: Forks) {
        pending = pending.filter { $0.value.block.view > finalizedView }
        awaitingValidation = awaitingValidation.filter { forks.contains($0) }
    }
}
