import Consensus
import Dispatch
import Foundation
import Synchronization

/// Takes a snapshot of the store every `interval` finalized heights, in the
/// background, into `<data_dir>/snapshots/<height>` (`[storage]
/// snapshot_interval`), and keeps the newest `kept`.
///
/// Why off the loop: a snapshot reads the whole app key space; the loop
/// only says "committed". The snapshot's height is the head its one
/// consistent view saw — at or a little above the height that triggered it.
///
/// Bound: one thread, one snapshot at a time; `kept` folders on disk (plus
/// one being written, `partial`, removed at the next start if a crash left
/// it). A failed snapshot is reported and the next interval tries again.
final class Snapshotter: Sendable {
    private struct State {
        var next: Height
        var running = false
        var closed = false
    }

    let interval: Height
    let kept: Int
    let folder: String
    private let store: NodeStore
    private let state: Mutex<State>
    private let queue = DispatchQueue(label: "baton.store.snapshots")
    private let onFailure: @Sendable (StorageError) -> Void

    init(store: NodeStore, folder: String, interval: Height, kept: Int, head: Height,
         onFailure: @escaping @Sendable (StorageError) -> Void) {
        self.store = store
        self.folder = folder
        self.interval = interval
        self.kept = kept
        self.onFailure = onFailure
        state = Mutex(State(next: (head / interval + 1) * interval))
        try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        SnapshotFolder.remove(folder + "/partial")
    }

    func committed(_ height: Height) {
        let start = state.withLock { state -> Bool in
            guard height >= state.next, !state.running, !state.closed else { return false }
            state.running = true
            state.next = (height / interval + 1) * interval
            return true
        }
        if start { queue.async { self.take() } }
    }

    func close() {
        state.withLock { $0.closed = true }
        queue.sync {}
    }

    /// Waits for a snapshot in flight (tests).
    func settle() { queue.sync {} }

    private func take() {
        defer { state.withLock { $0.running = false } }
        let partial = folder + "/partial"
        SnapshotFolder.remove(partial)
        do throws(StorageError) {
            let manifest = try store.writeSnapshot(into: partial)
            let final = SnapshotFolder.path(in: folder, height: manifest.head.height)
            SnapshotFolder.remove(final)
            guard rename(partial, final) == 0 else { throw DurableFile.failure(final, "rename the snapshot into") }
            DurableFile.syncFolder(of: final)
            for old in SnapshotFolder.list(folder).dropLast(kept) { SnapshotFolder.remove(old.folder) }
        } catch {
            SnapshotFolder.remove(partial)
            onFailure(error)
        }
    }
}

extension NodeStore {
    /// Takes a snapshot every `interval` heights into `<store>/snapshots`, keeping the newest `kept`.
    /// The snapshotter holds the store until `close()` (or `stopSnapshots()`) stops it.
    public func startSnapshots(interval: Height, kept: Int = 2, onFailure: @escaping @Sendable (StorageError) -> Void = { _ in }) {
        precondition(interval > 0 && kept > 0)
        let head = (try? finalizedHead().height) ?? 0
        let snapshotter = Snapshotter(store: self, folder: snapshotsFolder, interval: interval, kept: kept, head: head,
                                      onFailure: onFailure)
        snapshots.withLock { $0 = snapshotter }
    }

    /// Where this store's snapshots are kept.
    public var snapshotsFolder: String { path + "/snapshots" }

    public func stopSnapshots() {
        let snapshotter = snapshots.withLock { current in
            defer { current = nil }
            return current
        }
        snapshotter?.close()
    }

    /// Waits for a snapshot in flight (tests).
    public func settleSnapshots() { snapshots.withLock { $0 }?.settle() }
}
