import Consensus
import Dispatch
import Foundation
import Synchronization

/// Takes a snapshot of the store at every finalized height that is a
/// multiple of `interval`, in the background, into
/// `<data_dir>/snapshots/<height>` (`[storage] snapshot_interval`), and
/// keeps the newest `kept`.
///
/// Why exact multiples: members with one interval snapshot the same
/// heights and so write the same manifests, which is what lets a syncing
/// node fetch chunks from several of them and count who vouches for one.
/// The view is taken the moment that height's batch lands (a RocksDB
/// snapshot, on the commit writer's queue, before the next batch), and read
/// off the loop.
///
/// Bound: one thread, one snapshot at a time (a multiple reached while one
/// is being written is skipped); `kept` folders on disk (plus one being
/// written, `partial`, removed at the next start if a crash left it). A
/// failed snapshot is reported and the next multiple tries again.
final class Snapshotter: Sendable {
    private struct State {
        var running = false
        var closed = false
    }

    let interval: Height
    let kept: Int
    let chunkBytes: Int
    let folder: String
    private let store: NodeStore
    private let state = Mutex(State())
    private let queue = DispatchQueue(label: "baton.store.snapshots")
    private let onFailure: @Sendable (StorageError) -> Void

    init(store: NodeStore, folder: String, interval: Height, kept: Int, chunkBytes: Int,
         onFailure: @escaping @Sendable (StorageError) -> Void) {
        self.chunkBytes = chunkBytes
        self.store = store
        self.folder = folder
        self.interval = interval
        self.kept = kept
        self.onFailure = onFailure
        try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        SnapshotFolder.remove(folder + "/partial")
        let found = SnapshotFolder.list(folder)
        store.newestSnapshotHeight.store(found.last?.manifest.head.height ?? 0, ordering: .releasing)
        store.oldestSnapshotHeight.store(found.first?.manifest.head.height ?? 0, ordering: .releasing)
    }

    /// Height `height`'s batch is in the database, and no later one yet.
    func landed(_ height: Height) {
        guard height % interval == 0 else { return }
        let start = state.withLock { state -> Bool in
            guard !state.running, !state.closed else { return false }
            state.running = true
            return true
        }
        guard start else { return }
        do throws(StorageError) {
            let view = try store.db.pointInTime()
            queue.async { self.take(at: view) }
        } catch {
            state.withLock { $0.running = false }
            onFailure(error)
        }
    }

    func close() {
        state.withLock { $0.closed = true }
        queue.sync {}
    }

    /// Waits for a snapshot in flight (tests).
    func settle() { queue.sync {} }

    private func take(at view: RocksDatabase.PointInTime) {
        defer {
            store.db.release(view)
            state.withLock { $0.running = false }
        }
        let partial = folder + "/partial"
        SnapshotFolder.remove(partial)
        do throws(StorageError) {
            let manifest = try store.writeSnapshot(into: partial, at: view, chunkBytesMax: chunkBytes)
            let final = SnapshotFolder.path(in: folder, height: manifest.head.height)
            SnapshotFolder.remove(final)
            guard rename(partial, final) == 0 else { throw DurableFile.failure(final, "rename the snapshot into") }
            DurableFile.syncFolder(of: final)
            store.newestSnapshotHeight.store(manifest.head.height, ordering: .releasing)
            let listed = SnapshotFolder.list(folder)
            // The floor rises before the old snapshot goes: a peer may be
            // fetching it, and then needs the blocks above it.
            store.oldestSnapshotHeight.store(listed.suffix(kept).first?.manifest.head.height ?? manifest.head.height, ordering: .releasing)
            for old in listed.dropLast(kept) { SnapshotFolder.remove(old.folder) }
        } catch {
            SnapshotFolder.remove(partial)
            onFailure(error)
        }
    }
}

extension NodeStore {
    /// Takes a snapshot every `interval` heights into `<store>/snapshots`, keeping the newest `kept`.
    /// The snapshotter holds the store until `close()` (or `stopSnapshots()`) stops it.
    /// `chunkBytes`: members that serve one snapshot must cut it alike (tests make it small).
    public func startSnapshots(interval: Height, kept: Int = 2, chunkBytes: Int = SnapshotManifest.chunkBytesDefault,
                               onFailure: @escaping @Sendable (StorageError) -> Void = { _ in }) {
        precondition(interval > 0 && kept > 0 && chunkBytes > 0)
        let snapshotter = Snapshotter(store: self, folder: snapshotsFolder, interval: interval, kept: kept, chunkBytes: chunkBytes,
                                      onFailure: onFailure)
        snapshots.withLock { $0 = snapshotter }
    }

    /// The height of the newest snapshot taken or found since snapshots started (0: none).
    public var newestSnapshot: Height { newestSnapshotHeight.load(ordering: .acquiring) }

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
