import BatonCrypto
import Checkpointing

/// The chain node's view of the proof-of-work chain: every known block, the
/// checkpoints certified by the federation, and the fork choice. Pure: the
/// node feeds it blocks and certificates; it touches no clock, disk or socket.
///
/// Rules (Metronome's checkpoint-assisted chain):
/// - Fork choice compares (height of the latest checkpoint a branch carries,
///   cumulative work), in that order: a branch with a more recent checkpoint
///   wins regardless of work.
/// - A block that conflicts with a certified checkpoint is invalid: at the
///   checkpoint's height its branch must hold the checkpointed block.
/// - A block introducing a certificate must carry a valid one, for an ancestor,
///   more recent than its parent's; otherwise it inherits its parent's.
public struct ChainState: Sendable {
    public struct Entry: Sendable {
        public let block: ChainBlock
        public let cumulativeWork: Double
    }

    public enum AddOutcome: Hashable, Sendable {
        /// Stored, with the orphans it unblocked (parents first); `tipChanged`
        /// if that moved the best tip.
        case added([ChainBlock], tipChanged: Bool)
        case duplicate
        /// Kept aside until its parent arrives; fetch `missing`.
        case orphan(missing: Bytes32)
        case refused(String)
    }

    public let genesis: ChainBlock
    public let difficultyBits: UInt8
    public private(set) var entries: [Bytes32: Entry] = [:]
    public private(set) var tip: Bytes32
    /// Hashes of the best chain, index = height.
    public private(set) var best: [Bytes32]
    /// Certified checkpoints by height, with their certificates.
    public private(set) var checkpoints: [UInt64: (hash: Bytes32, certificate: [UInt8])] = [:]
    public private(set) var reorgs = 0
    public private(set) var deepestReorg = 0
    public private(set) var refusedBlocks = 0
    private var leaves: Set<Bytes32>
    private var orphans: [Bytes32: [ChainBlock]] = [:]
    private var orphanCount = 0
    public static let orphansMax = 2_048

    public init(genesis: ChainBlock, difficultyBits: UInt8) {
        self.genesis = genesis
        self.difficultyBits = difficultyBits
        entries[genesis.hash] = Entry(block: genesis, cumulativeWork: 0)
        tip = genesis.hash
        best = [genesis.hash]
        leaves = [genesis.hash]
    }

    public var tipBlock: ChainBlock { entries[tip]!.block }
    public var height: UInt64 { tipBlock.height }
    public var work: Double { entries[tip]!.cumulativeWork }
    public var latestCheckpoint: Checkpoint? {
        checkpoints.keys.max().map { Checkpoint(height: $0, hash: checkpoints[$0]!.hash) }
    }
    public var orphansHeld: Int { orphanCount }

    public func block(_ hash: Bytes32) -> ChainBlock? { entries[hash]?.block }

    /// The best chain's block at `height`.
    public func bestBlock(at height: UInt64) -> ChainBlock? {
        height < best.count ? entries[best[Int(height)]]?.block : nil
    }

    /// The ancestor of `hash` (or itself) at `height`.
    public func ancestor(of hash: Bytes32, at height: UInt64) -> Bytes32? {
        guard var entry = entries[hash], entry.block.height >= height else { return nil }
        // On the best chain: one lookup.
        if Int(entry.block.height) < best.count, best[Int(entry.block.height)] == hash { return best[Int(height)] }
        while entry.block.height > height {
            guard let parent = entries[entry.block.parent] else { return nil }
            entry = parent
        }
        return entry.block.hash
    }

    /// The certified checkpoint the branch ending at `hash` contradicts, if any.
    public func conflict(of hash: Bytes32) -> Checkpoint? {
        guard let height = entries[hash]?.block.height else { return nil }
        for (cpHeight, cp) in checkpoints where cpHeight <= height {
            if ancestor(of: hash, at: cpHeight) != cp.hash { return Checkpoint(height: cpHeight, hash: cp.hash) }
        }
        return nil
    }

    /// Adds a block; `verify` checks a certificate the block introduces
    /// (against the federation's committee) and returns its checkpoint.
    public mutating func add(_ block: ChainBlock,
                             verify: (ChainBlock) throws(CheckpointCertificateError) -> Checkpoint) -> AddOutcome {
        let outcome = insert(block, verify: verify)
        guard case .added = outcome else { return outcome }
        // Blocks that waited for this one.
        var added = [block]
        var queue = [block.hash]
        while let parent = queue.popLast(), let waiting = orphans.removeValue(forKey: parent) {
            orphanCount -= waiting.count
            for child in waiting where insert(child, verify: verify) == .added([], tipChanged: false) {
                added.append(child)
                queue.append(child.hash)
            }
        }
        return .added(added, tipChanged: chooseTip())
    }

    private mutating func insert(_ block: ChainBlock,
                                 verify: (ChainBlock) throws(CheckpointCertificateError) -> Checkpoint) -> AddOutcome {
        if entries[block.hash] != nil { return .duplicate }
        guard let parent = entries[block.parent] else {
            if orphanCount < Self.orphansMax, !(orphans[block.parent]?.contains(block) ?? false) {
                orphans[block.parent, default: []].append(block)
                orphanCount += 1
            }
            return .orphan(missing: block.parent)
        }
        if let reason = invalidity(of: block, parent: parent.block, verify: verify) {
            refusedBlocks += 1
            return .refused(reason)
        }
        entries[block.hash] = Entry(block: block, cumulativeWork: parent.cumulativeWork + block.work)
        leaves.remove(block.parent)
        leaves.insert(block.hash)
        if !block.certificate.isEmpty {
            checkpoints[block.header.checkpointHeight] = (block.header.checkpointHash, block.certificate)
        }
        if conflict(of: block.hash) != nil {
            // Cannot happen for a block that passed `invalidity`; kept as a guard.
            entries[block.hash] = nil
            leaves.remove(block.hash)
            return .refused("conflicts with a checkpoint")
        }
        return .added([], tipChanged: false)
    }

    private func invalidity(of block: ChainBlock, parent: ChainBlock,
                            verify: (ChainBlock) throws(CheckpointCertificateError) -> Checkpoint) -> String? {
        let h = block.header
        guard h.height == parent.height + 1 else { return "height \(h.height) does not follow its parent's \(parent.height)" }
        guard h.difficultyBits == difficultyBits else { return "difficulty \(h.difficultyBits) bits; this chain uses \(difficultyBits)" }
        guard ChainBlock.meets(block.hash, bits: difficultyBits) else { return "insufficient proof of work" }
        guard h.txRoot == ChainBlock.merkleRoot(block.transactions) else { return "transactions do not match the header's root" }
        guard h.certificateHash == ChainBlock.certificateHash(block.certificate) else { return "certificate does not match the header's hash" }
        guard h.timestampMs >= parent.header.timestampMs else { return "timestamp before its parent's" }
        if block.certificate.isEmpty {
            guard h.checkpointHeight == parent.header.checkpointHeight, h.checkpointHash == parent.header.checkpointHash else {
                return "claims checkpoint #\(h.checkpointHeight) without introducing a certificate"
            }
        } else {
            let checkpoint: Checkpoint
            do { checkpoint = try verify(block) } catch { return "invalid checkpoint certificate: \(error)" }
            guard checkpoint.height == h.checkpointHeight, checkpoint.hash == h.checkpointHash else {
                return "header names checkpoint #\(h.checkpointHeight), its certificate #\(checkpoint.height)"
            }
            guard checkpoint.height > parent.header.checkpointHeight, checkpoint.height <= parent.height,
                  ancestor(of: parent.hash, at: checkpoint.height) == checkpoint.hash else {
                return "certificate for \(checkpoint) is not for an ancestor newer than the parent's checkpoint"
            }
        }
        // A checkpoint is final: no branch may contradict it.
        for (cpHeight, cp) in checkpoints where cpHeight <= h.height {
            let atHeight = cpHeight == h.height ? block.hash : ancestor(of: parent.hash, at: cpHeight)
            if atHeight != cp.hash { return "conflicts with certified checkpoint #\(cpHeight) \(cp.hash.short)" }
        }
        return nil
    }

    /// Records a checkpoint the federation certified (already verified by the
    /// caller). Branches that contradict it stop being candidates at once.
    public mutating func addCheckpoint(_ checkpoint: Checkpoint, certificate: [UInt8]) -> Result<Bool, CheckpointRefusal> {
        if let known = checkpoints[checkpoint.height] {
            guard known.hash == checkpoint.hash else { return .failure(.contradictsCheckpoint(checkpoint.height)) }
            return .success(false)
        }
        if let latest = latestCheckpoint, latest.height > checkpoint.height,
           ancestor(of: latest.hash, at: checkpoint.height).map({ $0 != checkpoint.hash }) ?? false {
            return .failure(.contradictsCheckpoint(latest.height))
        }
        checkpoints[checkpoint.height] = (checkpoint.hash, certificate)
        return .success(chooseTip())
    }

    /// The certificate a miner should put in its next block: the newest
    /// checkpoint on the best chain that the tip does not carry yet.
    public var certificateToCarry: (Checkpoint, [UInt8])? {
        guard let height = checkpoints.keys.filter({ $0 > tipBlock.header.checkpointHeight && $0 <= self.height }).max(),
              let cp = checkpoints[height], ancestor(of: tip, at: height) == cp.hash else { return nil }
        return (Checkpoint(height: height, hash: cp.hash), cp.certificate)
    }

    /// Fork choice over the leaves that contradict no checkpoint. Returns
    /// whether the tip moved.
    @discardableResult
    private mutating func chooseTip() -> Bool {
        func key(_ hash: Bytes32) -> (UInt64, Double) {
            let entry = entries[hash]!
            return (entry.block.header.checkpointHeight, entry.cumulativeWork)
        }
        // Start from the current tip, or its newest ancestor that contradicts
        // no checkpoint (the node then fetches the checkpointed blocks).
        var chosen = tip
        while conflict(of: chosen) != nil, let parent = entries[chosen]?.block.parent, entries[parent] != nil { chosen = parent }
        for leaf in leaves where leaf != chosen && conflict(of: leaf) == nil {
            if key(leaf) > key(chosen) { chosen = leaf }
        }
        if chosen == tip && best.last == tip { return false }
        let oldTip = tip
        tip = chosen
        // Rebuild the best chain from the fork point.
        var path: [Bytes32] = []
        var cursor = chosen
        while let entry = entries[cursor] {
            let height = Int(entry.block.height)
            if height < best.count, best[height] == cursor { break }
            path.append(cursor)
            cursor = entry.block.parent
        }
        let forkHeight = Int(entries[chosen]!.block.height) - path.count
        // The old tip is not an ancestor of the new one: blocks were abandoned.
        if forkHeight < best.count - 1 {
            reorgs += 1
            deepestReorg = max(deepestReorg, best.count - 1 - forkHeight)
        }
        best.removeSubrange((forkHeight + 1)...)
        best.append(contentsOf: path.reversed())
        return oldTip != tip
    }
}

public enum CheckpointRefusal: Error, Hashable, Sendable, CustomStringConvertible {
    case contradictsCheckpoint(UInt64)
    public var description: String {
        switch self {
        case .contradictsCheckpoint(let height): "contradicts the certified checkpoint at height \(height)"
        }
    }
}
