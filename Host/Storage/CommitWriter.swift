import Consensus
import Dispatch
import Synchronization

/// Writes committed blocks' batches to RocksDB off the consensus loop, in
/// commit order, so that a vote or proposal behind a commit does not wait for
/// its memtable inserts and WAL write (a block's ~400 app keys at batch 400).
///
/// Why it is safe: a commit's batch is not durable when it returns anyway
/// (`WALSyncer` syncs it later; the safety record carries only the height
/// that sync reached), so a crash before the batch lands is a crash before
/// the sync — the node fetches the blocks again. What must not change is what
/// readers see: every read of the store first waits for the batches handed
/// over before it (`drain`), so a plugin reading its state in `commit_block`,
/// block sync and the API see the commit as if it were written in place.
/// Batches land in the order they were handed over (one serial queue), each
/// atomically; after a failed write no later batch is written (a later block's
/// app writes over a missing earlier one would be a state no node had) and
/// the failure is thrown by the store's next commit or safety write.
///
/// A small batch is written in place when nothing waits: handing over costs
/// a thread wake-up, more than a few dozen inserts (measured at batch 1: CPU
/// per block per node +8 % with every batch handed over).
///
/// Bound: at most `pendingMax` batches waiting; the loop blocks when it hands
/// over one more (the disk is slower than commits).
final class CommitWriter: Sendable {
    static let pendingMax = 8
    /// Batches with fewer entries are written in place when none waits.
    static let handOverEntriesMin = 64

    private struct State {
        var pending = 0
        var failure: StorageError?
    }

    /// A batch handed to the writer's queue: the loop gives it up when it
    /// hands it over and never touches it again.
    private final class Handoff: @unchecked Sendable {
        let batch: WriteBatch
        init(_ batch: WriteBatch) { self.batch = batch }
    }

    private let db: RocksDatabase
    private let state = Mutex(State())
    private let slots = DispatchSemaphore(value: CommitWriter.pendingMax)
    private let queue = DispatchQueue(label: "baton.store.commit-writer")

    init(db: RocksDatabase) { self.db = db }

    /// The error of a failed background write, if one failed.
    var failure: StorageError? { state.withLock { $0.failure } }

    /// Writes `batch` after every batch handed over before it, then calls
    /// `written` (on the writer's thread, unless written in place; not after
    /// a failure).
    func write(_ batch: WriteBatch, written: @escaping @Sendable () -> Void) throws(StorageError) {
        if let failure { throw failure }
        if batch.count < Self.handOverEntriesMin, state.withLock({ $0.pending == 0 }) {
            try db.write(batch, sync: false)
            written()
            return
        }
        slots.wait()
        state.withLock { $0.pending += 1 }
        let handoff = Handoff(batch)
        queue.async {
            defer {
                self.state.withLock { $0.pending -= 1 }
                self.slots.signal()
            }
            guard self.failure == nil else { return }
            do throws(StorageError) {
                try self.db.write(handoff.batch, sync: false)
            } catch {
                self.state.withLock { $0.failure = error }
                return
            }
            written()
        }
    }

    /// Returns once every batch handed over before the call has been written
    /// (or skipped after a failure); cheap when none waits.
    func drain() {
        guard state.withLock({ $0.pending > 0 }) else { return }
        queue.sync {}
    }

    /// `drain`, then the failure of any batch handed over so far.
    func settle() throws(StorageError) {
        drain()
        if let failure { throw failure }
    }
}
