/// The tree of blocks above the last finalized block, and the 2-chain
/// finalization rule (DESIGN §2, Jolteon).
///
/// Invariants: `finalized` only moves forward, along its own descendants; each
/// block is finalized (emitted) once, in chain order; a block conflicting with
/// the finalized chain is never finalized — that would be a safety fault,
/// which is reported instead.
public struct Forks: Sendable {
    public enum AddError: Error, Hashable, Sendable {
        /// Expected and benign: fetch the parent, then add again.
        case missingParent(BlockID, parentView: View)
        /// Benign: already finalized or below it.
        case belowFinalized(View)
        /// The block extends a branch that conflicts with the finalized chain: drop it.
        case conflictsWithFinalized(View)
        /// The block's height is not its parent's + 1: invalid, drop it.
        case heightMismatch(View, expected: Height, got: Height)
    }

    /// A finalization step: `blocks` (oldest first) are final because `child`,
    /// whose view is the last block's + 1, is certified by `childQC`.
    public struct Finalization: Hashable, Sendable {
        public let blocks: [Block]
        public let child: Block
        public let childQC: QuorumCertificate
        /// LR-1: each block's leader record (set by the core, for the store).
        public internal(set) var leaderRecords: [LeaderRecord] = []
    }

    /// Finalizing would have contradicted an earlier finalization: more than a
    /// third of the weight is Byzantine. Reported, never applied.
    public struct SafetyFault: Error, Hashable, Sendable, CustomStringConvertible {
        public let description: String
    }

    public private(set) var finalized: Block
    private var forest: LevelledForest
    /// QCs known for blocks in (or expected in) the forest, by block id. Bounded
    /// by pruning along with the forest.
    private var certificates: [BlockID: QuorumCertificate] = [:]

    public init(root: Block) {
        finalized = root
        forest = LevelledForest(lowestLevel: root.view)
        forest.add(root)
    }

    public var count: Int { forest.count }
    public func block(_ id: BlockID) -> Block? { forest.block(id) }
    public func contains(_ id: BlockID) -> Bool { forest.contains(id) }
    public func children(of id: BlockID) -> [Block] { forest.children(of: id) }
    public func qc(for id: BlockID) -> QuorumCertificate? { certificates[id] }

    /// What adding a block or QC led to.
    public enum Progress: Hashable, Sendable {
        case finalized(Finalization)
        case safetyFault(SafetyFault)
    }

    /// Adds a block whose parent is known (the compliance layer guarantees
    /// connection to the finalized chain). The block's QC certifies its parent,
    /// which may finalize the grandparent; a QC that arrived before the block
    /// certifies the block itself, which may finalize the parent.
    public mutating func add(_ block: Block) throws(AddError) -> [Progress] {
        guard block.view > finalized.view else { throw .belowFinalized(block.view) }
        if forest.contains(block.id) { return [] }
        guard let parent = forest.block(block.parentID) else {
            if block.qc.view <= finalized.view { throw .conflictsWithFinalized(block.view) }
            throw .missingParent(block.parentID, parentView: block.qc.view)
        }
        guard block.height == parent.height + 1 else {
            throw .heightMismatch(block.view, expected: parent.height + 1, got: block.height)
        }
        forest.add(block)
        var progress = add(block.qc)
        if let early = certificates[block.id], let step = checkTwoChain(certified: block, qc: early) {
            progress.append(step)
        }
        return progress
    }

    /// Records a QC; if it certifies a known block whose parent is one view
    /// earlier, the parent (and its ancestors) are finalized.
    public mutating func add(_ qc: QuorumCertificate) -> [Progress] {
        guard qc.view > finalized.view else { return [] }
        if certificates[qc.blockID] == nil { certificates[qc.blockID] = qc }
        guard let certified = forest.block(qc.blockID), let step = checkTwoChain(certified: certified, qc: qc) else {
            return []
        }
        return [step]
    }

    /// 2-chain commit rule: B is final once a certified child B' with
    /// B'.view == B.view + 1 is known.
    private mutating func checkTwoChain(certified child: Block, qc: QuorumCertificate) -> Progress? {
        guard let parent = forest.block(child.parentID), child.view == parent.view + 1,
              parent.view > finalized.view else { return nil }
        // Walk back to the finalized block; every step must stay in the forest.
        var chain = [parent]
        var cursor = parent
        while cursor.parentID != finalized.id {
            guard let next = forest.block(cursor.parentID), next.view > finalized.view else {
                return .safetyFault(SafetyFault(description:
                    "\(parent) would be finalized but does not descend from finalized \(finalized)"))
            }
            chain.append(next)
            cursor = next
        }
        chain.reverse()
        // Finality only moves forward, one height at a time along the new block's ancestors.
        precondition(chain[0].parentID == finalized.id && chain[0].height == finalized.height + 1
                     && parent.view > finalized.view, "finalization must extend the finalized chain")
        finalized = parent
        forest.prune(below: parent.view)
        for (id, certificate) in certificates where certificate.view < parent.view { certificates.removeValue(forKey: id) }
        return .finalized(Finalization(blocks: chain, child: child, childQC: qc))
    }

    /// Drops QCs for unknown blocks at or below `view` (bounded memory for
    /// QCs whose blocks never arrive).
    public mutating func forgetOrphanCertificates(atOrBelow view: View) {
        for (id, qc) in certificates where qc.view <= view && !forest.contains(id) {
            certificates.removeValue(forKey: id)
        }
    }

    /// Non-finalized ancestors of `id` (exclusive of the finalized block),
    /// oldest first, including `id` itself.
    public func pendingChain(to id: BlockID) -> [Block] {
        var chain: [Block] = []
        var cursor = forest.block(id)
        while let block = cursor, block.id != finalized.id {
            chain.append(block)
            cursor = forest.block(block.parentID)
        }
        return chain.reversed()
    }
}
