import Consensus
import Dispatch
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Makes committed blocks durable off the consensus loop: after a commit it
/// fsyncs RocksDB's WAL on a thread of its own, at most once per
/// `intervalMs`, and remembers the finalized height that made durable.
///
/// Why: safety data is made durable by the safety record's own fdatasync
/// (`NodeStore.saveSafetyData`), the one fsync a vote waits for. Committed
/// blocks need no fsync before anything is said — finality is the quorum's,
/// and a node that loses its last blocks to a power loss fetches them again —
/// but the store must know how far they are durable, so that a WAL that later
/// loses them is caught (`StorageError.Kind.lostSyncedWrites`): the safety
/// record carries `durableHeight`.
///
/// Bound: one sync in flight, one thread; a failed sync is kept and thrown by
/// the next safety write (the disk is failing; the node stops).
final class WALSyncer: Sendable {
    private struct State {
        var target: Height
        var durable: Height
        var running = false
        var closed = false
        var failure: StorageError?
    }

    static let intervalMsDefault: UInt32 = 10
    let intervalMs: UInt32
    private let db: RocksDatabase
    private let state: Mutex<State>
    private let queue = DispatchQueue(label: "baton.store.wal-sync")

    init(db: RocksDatabase, durable: Height, intervalMs: UInt32 = WALSyncer.intervalMsDefault) {
        self.db = db
        self.intervalMs = intervalMs
        state = Mutex(State(target: durable, durable: durable))
    }

    /// The finalized height whose writes are known to be on disk.
    var durableHeight: Height { state.withLock { $0.durable } }

    /// The error of a failed background sync, if one failed.
    var failure: StorageError? { state.withLock { $0.failure } }

    /// A commit of `height` was written (not synced): sync it soon.
    func committed(_ height: Height) {
        let start = state.withLock { state -> Bool in
            state.target = max(state.target, height)
            guard !state.running, !state.closed, state.failure == nil else { return false }
            state.running = true
            return true
        }
        if start { queue.async { self.run() } }
    }

    /// Every commit written before a call has a durable height once it returns.
    func syncNow() throws(StorageError) {
        let target = state.withLock { $0.target }
        try db.syncWAL()
        state.withLock { $0.durable = max($0.durable, target) }
    }

    /// Stops syncing and waits for a sync in flight to end (the database may
    /// close after this returns).
    func close() {
        state.withLock { $0.closed = true }
        queue.sync {}
    }

    private func run() {
        while true {
            let target = state.withLock { $0.target }
            do throws(StorageError) {
                try db.syncWAL()
            } catch {
                state.withLock {
                    $0.failure = error
                    $0.running = false
                }
                return
            }
            state.withLock { $0.durable = max($0.durable, target) }
            // Waits out the interval before looking again: commits that came
            // meanwhile share the next fsync.
            usleep(intervalMs * 1_000)
            let again = state.withLock { state -> Bool in
                guard !state.closed, state.target > state.durable else {
                    state.running = false
                    return false
                }
                return true
            }
            if !again { return }
        }
    }
}
