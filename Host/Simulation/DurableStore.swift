import Consensus

/// A node's storage as a crash sees it: safety data is written synchronously
/// and always survives; other writes are lazy and survive a crash only if a
/// later synchronous write flushed them — else a random prefix of them does
/// (a write-ahead log is ordered, so what survives is a prefix).
struct DurableStore {
    enum LazyWrite {
        case liveness(LivenessData)
        case block(Block)
        case finalized(Block)
        /// LR-1: written just before its block, so a surviving block has its record.
        case leaderRecord(LeaderRecord)
    }

    private(set) var safety = SafetyData()
    private(set) var liveness: LivenessData?
    private(set) var blocks: [BlockID: Block] = [:]
    private(set) var finalized: Block
    /// The newest leader records, by height (the node keeps 2,100).
    private(set) var leaderRecords: [Height: LeaderRecord] = [:]
    private var unsynced: [LazyWrite] = []
    /// SR-R has not completed since this store was created (the node's
    /// `s/recovering` key): a restart recovers again.
    private(set) var safetyLost: Bool
    /// The epoch the node is in, and the block it started from (EP-3).
    private(set) var epoch: Epoch = 0
    private(set) var epochRoot: Block
    /// How each epoch after the first began (EP-4): served to nodes still
    /// in the epoch before.
    private(set) var changes: [Epoch: EpochChange] = [:]

    init(genesis: Block, safetyLost: Bool = false) {
        epochRoot = genesis
        finalized = genesis
        blocks[genesis.id] = genesis
        self.safetyLost = safetyLost
    }

    /// SR-R completed: a synchronous write, as the node's.
    mutating func safetyRecovered() {
        for write in unsynced { apply(write) }
        unsynced.removeAll()
        safetyLost = false
    }

    /// The live process sees its unsynced writes too.
    func block(_ id: BlockID) -> Block? {
        if let block = blocks[id] { return block }
        for case .block(let block) in unsynced where block.id == id { return block }
        return nil
    }

    /// Finalized blocks from `height` up, in order, at most `limit`: what the
    /// live process answers a catch-up request with.
    func finalizedBlocks(from height: Height, limit: Int) -> [Block] {
        var head = finalized
        for case .finalized(let block) in unsynced where block.height > head.height { head = block }
        var chain: [Block] = []
        var cursor: Block? = head
        while let block = cursor, block.height >= max(height, 1) {
            chain.append(block)
            cursor = self.block(block.parentID)
        }
        return Array(chain.reversed().prefix(limit))
    }

    /// The switch to `change.epoch`, one synchronous write (as the node's
    /// batch with the commit of the root): the record, no liveness data, and
    /// the old epoch's unfinalized blocks gone — they are never committed
    /// (EP-1), and a restart must not replay them into the new tree. The
    /// safety data stays as it is: it names the old epoch, so the new core
    /// starts from empty data of its own (EP-2) — as the node's does.
    mutating func switchEpoch(_ change: EpochChange) {
        for write in unsynced { apply(write) }
        unsynced.removeAll()
        precondition(finalized.id == change.root.id, "an epoch switches at its root, once it is committed")
        changes[change.epoch] = change
        epoch = change.epoch
        epochRoot = change.root
        liveness = nil
        blocks = blocks.filter { $0.value.view <= change.root.view }
    }

    mutating func writeSynchronously(_ data: SafetyData) {
        for write in unsynced { apply(write) }
        unsynced.removeAll()
        safety = data
    }

    mutating func writeLazily(_ write: LazyWrite) {
        unsynced.append(write)
        // Bound: the engine flushes its memtable/WAL regularly.
        if unsynced.count > 64 {
            for write in unsynced { apply(write) }
            unsynced.removeAll()
        }
    }

    /// Loses an unsynced suffix, as a crash would.
    mutating func crash(_ rng: inout SeededRandom) {
        let kept = unsynced.isEmpty ? 0 : Int(rng.next() % UInt64(unsynced.count + 1))
        for write in unsynced.prefix(kept) { apply(write) }
        unsynced.removeAll()
    }

    /// What a restarted core resumes from.
    var recovery: EventHandler.Recovery {
        EventHandler.Recovery(safety: safety, liveness: liveness, finalized: finalized,
                              unfinalized: blocks.values.filter { $0.view > finalized.view }, safetyLost: safetyLost,
                              leaderRecords: leaderRecords.values.filter { $0.height <= finalized.height }
                                  .sorted { $0.height < $1.height })
    }

    private mutating func apply(_ write: LazyWrite) {
        switch write {
        case .liveness(let data): liveness = data
        case .block(let block): blocks[block.id] = block
        case .finalized(let block):
            if block.height > finalized.height { finalized = block }
            blocks[block.id] = block
        case .leaderRecord(let record):
            leaderRecords[record.height] = record
            leaderRecords[record.height &- 2_100] = nil
        }
    }
}
