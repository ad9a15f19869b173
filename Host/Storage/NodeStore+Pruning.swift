import BatonCrypto
import Consensus
import Synchronization

/// Pruning: the finalized blocks below a window of the newest heights are
/// deleted (their block, QC and height index), so a store's size stays flat.
///
/// Invariant: the blocks kept are exactly the heights from
/// `oldestRetainedHeight` to the head; `m/pruned` says where they start and
/// is written in the same batch as each deletion of their indexes (`h/`,
/// `i/`) and certificates, so a crash leaves no hole. The blocks themselves
/// (the `blocks` family, keyed by height) go a table file at a time, once a
/// file lies wholly below the floor: no tombstones, no rewrite, so the disk
/// shrinks as it grows. Until then a block below the floor may still be on
/// disk, unreachable (reads go through the indexes and the floor).
/// The head is never pruned (a restart resumes from its block), nor the app
/// state, the app state hashes (`e/`), the leader records (`r/`), the epoch
/// records and the schedules: they have windows or lifetimes of their own.
extension NodeStore {
    /// The least `retain_blocks` a node accepts: enough for the app state
    /// hashes' window (app agreement after a restart, AA-0) and for peers a
    /// few minutes behind to catch up by block sync.
    public static let retainedBlocksMin: Height = StoreLayout.executedStatesKept

    /// The oldest finalized height whose block this store keeps (1 when nothing was pruned).
    public var oldestRetainedHeight: Height { prunedFloor.load(ordering: .acquiring) }

    /// The window `startPruning` keeps; nil when every block is kept.
    public var retainedBlocks: Height? { pruner.withLock { $0?.retain } }

    /// The application's wish (ABI 1.7 `retain_height`): keep every block at
    /// and above `height` (0: no wish). It only lowers the pruning target.
    public func keepBlocks(from height: Height) { appRetainHeight.store(height, ordering: .releasing) }

    /// The application's last wish, 0 for none.
    public var appRetainedFrom: Height { appRetainHeight.load(ordering: .acquiring) }

    /// Starts deleting, in the background, the finalized blocks below the
    /// newest `retain` heights, `batchMax` heights per write.
    /// `onFailure` hears of a failed write once; pruning stops there.
    /// The pruner holds the store until `close()` (or `stopPruning()`) stops it.
    public func startPruning(retain: Height, batchMax: Int = 1_000,
                             onFailure: @escaping @Sendable (StorageError) -> Void = { _ in }) {
        precondition(retain >= Self.retainedBlocksMin && batchMax > 0, "retain at least \(Self.retainedBlocksMin) blocks")
        let pruner = BlockPruner(store: self, retain: retain, floor: oldestRetainedHeight, batchMax: batchMax, onFailure: onFailure)
        self.pruner.withLock { $0 = pruner }
        if let head = try? finalizedHead() { pruner.committed(head.height) }
    }

    /// Stops pruning and waits for a pass in flight.
    public func stopPruning() {
        let pruner = self.pruner.withLock { pruner in
            defer { pruner = nil }
            return pruner
        }
        pruner?.close()
    }

    /// Waits for a pruning pass in flight (tests).
    public func settlePruning() { pruner.withLock { $0 }?.settle() }

    /// Deletes the blocks of the lowest retained heights, up to `batchMax` of
    /// them and never `target` or above, in one atomic write with the new
    /// floor; returns the new floor. The head is always kept.
    @discardableResult
    public func pruneStep(below target: Height, batchMax: Int) throws(StorageError) -> Height {
        let head = try finalizedHead().height
        let floor = oldestRetainedHeight
        let end = min(target, head, floor + Height(batchMax))
        guard end > floor else { return floor }
        var ids: [BlockID] = []
        var bad = false
        try settled.scan(prefix: StoreLayout.heightPrefix, from: StoreLayout.height(floor)) { key, value in
            var r = WireReader(Array(key.dropFirst(StoreLayout.heightPrefix.count)))
            guard let height = try? r.u64("height"), let id = Bytes32(value) else {
                bad = true
                return false
            }
            guard height < end else { return false }
            ids.append(id)
            return true
        }
        if bad { throw StorageError(.corrupted, path: path, "a height index entry (h/) is malformed") }
        let batch = WriteBatch()
        for height in floor..<end { batch.delete(StoreLayout.height(height)) }
        for id in ids {
            batch.delete(StoreLayout.blockHeight(id))
            // Blocks kept under their id: a schema-1 store's, a restored head.
            batch.delete(StoreLayout.finalized(id))
            batch.delete(StoreLayout.certificate(id))
        }
        var w = WireWriter(capacity: 8)
        w.u64(end)
        batch.put(StoreLayout.pruned, w.bytes)
        try db.write(batch, sync: false)
        prunedFloor.store(end, ordering: .releasing)
        // Inclusive range: heights 1 to end - 1, all below the new floor.
        try db.deleteFiles(family: StoreLayout.blocksFamily.name, from: StoreLayout.block(at: 1), through: StoreLayout.block(at: end - 1))
        return end
    }

    static func readPrunedFloor(_ db: RocksDatabase, path: String) throws(StorageError) -> Height {
        guard let bytes = try db.get(StoreLayout.pruned) else { return 1 }
        var r = WireReader(bytes)
        guard let floor = try? r.u64("pruned"), floor >= 1 else {
            throw StorageError(.corrupted, path: path, "the pruned-height record (m/pruned) is malformed")
        }
        return floor
    }
}
