import Consensus
import Dispatch
import Synchronization

/// Deletes old finalized blocks in the background so a store's size stays
/// flat (`[storage] retain_blocks` in node.toml): after a commit, when at
/// least `passMin` heights lie below the newest `retain`, a thread of its
/// own deletes them, `batchMax` heights per atomic write, until none are
/// left below the window.
///
/// Why off the loop: deleting is a read of the height index plus a write;
/// the consensus loop only says "committed" (a lock and a flag).
///
/// Bound: one thread, one pruning pass at a time; a write deletes at most
/// `batchMax` heights (three keys each). A failed write stops pruning (the
/// store keeps every block, as without it) and is reported once.
final class BlockPruner: Sendable {
    private struct State {
        var head: Height = 0
        var floor: Height
        var running = false
        var closed = false
        var failure: StorageError?
    }

    let retain: Height
    let batchMax: Int
    /// Heights due before a pass starts: small against a window of thousands,
    /// so the kept count swings by about 1 %, not by a whole batch.
    var passMin: Height { min(Height(batchMax), 100) }
    private let store: NodeStore
    private let state: Mutex<State>
    private let queue = DispatchQueue(label: "baton.store.pruner")
    private let onFailure: @Sendable (StorageError) -> Void

    init(store: NodeStore, retain: Height, floor: Height, batchMax: Int, onFailure: @escaping @Sendable (StorageError) -> Void) {
        self.store = store
        self.retain = retain
        self.batchMax = batchMax
        self.onFailure = onFailure
        state = Mutex(State(floor: floor))
    }

    /// The oldest height whose block is still kept.
    var floor: Height { state.withLock { $0.floor } }

    /// A commit of `height` was handed to the store: prune when a batch is due.
    func committed(_ height: Height) {
        let start = state.withLock { state -> Bool in
            state.head = max(state.head, height)
            guard !state.running, !state.closed, state.failure == nil,
                  target(head: state.head) >= state.floor + passMin else { return false }
            state.running = true
            return true
        }
        if start { queue.async { self.run() } }
    }

    /// Stops pruning and waits for a pass in flight to end.
    func close() {
        state.withLock { $0.closed = true }
        queue.sync {}
    }

    /// Waits for a pass in flight (tests).
    func settle() { queue.sync {} }

    /// The first height the window keeps: heights below it are pruned.
    static func target(head: Height, retain: Height) -> Height { head > retain ? head - retain + 1 : 1 }

    /// The window's first height, or the oldest kept snapshot's if lower: a
    /// node restored from any snapshot still offered catches up from its
    /// height, and a snapshot's proof is built from the blocks above it.
    /// (The newest one's was not enough: a node that restored it while the
    /// next was taken found its peers past its height a second later and
    /// could not catch up — `bench cluster --wipe`.) With `snapshots_kept`
    /// of 2 or more, a syncing node has a whole interval of heights to
    /// fetch its snapshot and catch up. Lower still if the app asked to keep
    /// more (`retain_height`, ABI 1.7): never higher.
    func target(head: Height) -> Height {
        var target = Self.target(head: head, retain: retain)
        let snapshot = store.oldestSnapshotHeight.load(ordering: .acquiring)
        if snapshot > 0 { target = min(target, snapshot) }
        let app = store.appRetainHeight.load(ordering: .acquiring)
        if app > 0 { target = min(target, app) }
        return target
    }

    /// Passes until nothing is due. The pass ends (`running` false) in the
    /// same lock as its last look at the head: a commit that arrives after
    /// that look starts a new pass, never falls between the two (a test saw
    /// the window one height short).
    private func run() {
        while true {
            let (target, closed) = state.withLock { (self.target(head: $0.head), $0.closed) }
            if closed { break }
            do throws(StorageError) {
                let floor = try store.pruneStep(below: target, batchMax: batchMax)
                let more = state.withLock { state -> Bool in
                    state.floor = floor
                    let more = floor < self.target(head: state.head) && !state.closed
                    if !more { state.running = false }
                    return more
                }
                if !more { return }
            } catch {
                state.withLock { $0.failure = error }
                onFailure(error)
                break
            }
        }
        state.withLock { $0.running = false }
    }
}
