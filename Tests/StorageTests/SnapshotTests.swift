import BatonCrypto
import Consensus
import Foundation
import Simulation
@testable import Storage
import BatonTestSupport
import Testing

/// Snapshots (issue 31, item 2): the state a node needs at a finalized
/// height, from one consistent view while commits go on, in hashed chunks;
/// restored only into a new store, only when every chunk checks out, and a
/// half-done restore is never run.
@Suite(.blockingWork) struct SnapshotTests {
    let blocks = SyntheticBlocks()
    var genesis: Block { blocks.genesis }
    var qc: QuorumCertificate { blocks.qc }
    func block(_ height: Height) -> Block { blocks.block(height) }

    /// Commits `heights`: each writes key "last" = height and "k<height % 13>" = height.
    func commit(_ store: NodeStore, _ heights: ClosedRange<Height>) throws {
        for height in heights {
            store.app("kv").stage([(Array("last".utf8), Array("\(height)".utf8)), (Array("k\(height % 13)".utf8), Array("\(height)".utf8))])
            if height == 5 { store.stageSchedule(named: "upgrades", Array("schedule at 5".utf8)) }
            try store.commit(block(height), certifiedBy: qc, stateHash: SHA256Digest.hash(Array("\(height)".utf8)))
        }
    }

    func appState(_ store: NodeStore) throws -> [[UInt8]: [UInt8]] {
        var state: [[UInt8]: [UInt8]] = [:]
        try store.app("kv").forEach(withPrefix: []) { key, value in
            state[key] = value
            return true
        }
        return state
    }

    @Test func aSnapshotRestoresIntoANewStoreAsTheHeadItWasTakenAt() throws {
        let source = try NodeStore(directory: try makeTemporaryDirectory("baton-snap-a"), genesis: genesis, create: true)
        try commit(source, 1...40)
        _ = try source.pruneStep(below: 20, batchMax: 100)
        let folder = try makeTemporaryDirectory("baton-snap") + "/s"
        let manifest = try source.writeSnapshot(into: folder, chunkBytesMax: 64)
        #expect(manifest.head.height == 40 && manifest.head.blockID == block(40).id)
        #expect(manifest.chunkHashes.count > 3, "small chunks: \(manifest.chunkHashes.count)")
        #expect(try SnapshotFolder.verify(folder) == manifest)

        let target = try NodeStore(directory: try makeTemporaryDirectory("baton-snap-b"), genesis: genesis, create: true)
        #expect(try target.restoreSnapshot(from: folder) == manifest)
        let recovered = try target.recover()
        #expect(recovered.head == manifest.head && recovered.finalized == block(40))
        #expect(recovered.safetyLost, "a restored store recovers its safety data (SR-R) before it signs")
        #expect(recovered.executedStates == (try source.recover().executedStates))
        #expect(try appState(target) == appState(source))
        #expect(try target.schedule(named: "upgrades") == Array("schedule at 5".utf8))
        #expect(target.oldestRetainedHeight == 40)
        #expect(try target.finalizedBlocks(from: 40, limit: 5).map(\.block) == [block(40)])
        #expect(try target.finalizedBlocks(from: 39, limit: 5).isEmpty)
        // It goes on from there.
        try commit(target, 41...42)
        #expect(try target.finalizedHead().height == 42)
        source.close()
        target.close()
    }

    /// Commits go on while the snapshot is read: its state is exactly its head's.
    @Test func aSnapshotIsConsistentWhileCommitsGoOn() async throws {
        let source = try NodeStore(directory: try makeTemporaryDirectory("baton-snap-c"), genesis: genesis, create: true)
        try commit(source, 1...200)
        let folder = try makeTemporaryDirectory("baton-snap") + "/s"
        let committing = Task.detached { try self.commit(source, 201...600) }
        let manifest = try await offThePool { try? source.writeSnapshot(into: folder, chunkBytesMax: 48) }
        try await committing.value
        let taken = try #require(manifest)
        let target = try NodeStore(directory: try makeTemporaryDirectory("baton-snap-d"), genesis: genesis, create: true)
        _ = try target.restoreSnapshot(from: folder)
        let state = try appState(target)
        #expect(state[Array("last".utf8)] == Array("\(taken.head.height)".utf8), "the app state is the head's, not a later one")
        #expect(try target.recover().head == taken.head)
        source.close()
        target.close()
    }

    @Test func aTamperedChunkIsRefusedAndTheRestoreResumesWithTheRightOne() throws {
        let source = try NodeStore(directory: try makeTemporaryDirectory("baton-snap-e"), genesis: genesis, create: true)
        try commit(source, 1...30)
        let folder = try makeTemporaryDirectory("baton-snap") + "/s"
        let manifest = try source.writeSnapshot(into: folder, chunkBytesMax: 64)
        source.close()
        let chunk = SnapshotChunkWriter.chunkPath(folder, 2)
        let good = try Data(contentsOf: URL(fileURLWithPath: chunk))
        var bad = good
        bad[bad.count - 1] ^= 0x01
        try bad.write(to: URL(fileURLWithPath: chunk))
        #expect { try SnapshotFolder.verify(folder) } throws: { "\($0)".contains("chunk 2 is not the one its manifest names") }

        let dir = try makeTemporaryDirectory("baton-snap-f")
        let target = try NodeStore(directory: dir, genesis: genesis, create: true)
        #expect { try target.restoreSnapshot(from: folder) } throws: { "\($0)".contains("chunk 2") }
        // Half restored: never run.
        #expect { try target.recover() } throws: { "\($0)".contains("did not finish") }
        try good.write(to: URL(fileURLWithPath: chunk))
        // A chunk grown past what its manifest says is refused before it is read.
        try (good + Data(count: 1_000_000)).write(to: URL(fileURLWithPath: chunk))
        #expect { try SnapshotFolder.verify(folder) } throws: { "\($0)".contains("the manifest says \(good.count)") }
        try good.write(to: URL(fileURLWithPath: chunk))
        #expect(try target.restoreSnapshot(from: folder) == manifest, "the same snapshot resumes the restore")
        #expect(try target.recover().head == manifest.head)
        target.close()
    }

    /// Every `interval` heights a snapshot lands in `<store>/snapshots`, the
    /// newest `kept` stay, each complete and verifiable.
    @Test func snapshotsAreTakenEveryIntervalAndTheNewestAreKept() throws {
        let dir = try makeTemporaryDirectory("baton-snap-every")
        let store = try NodeStore(directory: dir, genesis: genesis, create: true)
        store.startSnapshots(interval: 10, kept: 2)
        for height in Height(1)...45 {
            try commit(store, height...height)
            store.settleSnapshots()
        }
        let kept = SnapshotFolder.list(store.snapshotsFolder)
        #expect(kept.map(\.manifest.head.height) == [30, 40])
        for entry in kept { #expect(try SnapshotFolder.verify(entry.folder) == entry.manifest) }
        #expect(!FileManager.default.fileExists(atPath: store.snapshotsFolder + "/partial"))
        store.close()
        // A crash mid-snapshot leaves `partial`: the next start removes it.
        try FileManager.default.createDirectory(atPath: dir + "/snapshots/partial", withIntermediateDirectories: true)
        let reopened = try NodeStore(directory: dir, genesis: genesis)
        reopened.startSnapshots(interval: 10, kept: 2)
        #expect(!FileManager.default.fileExists(atPath: dir + "/snapshots/partial"))
        #expect(SnapshotFolder.list(reopened.snapshotsFolder).count == 2)
        reopened.close()
    }

    /// Pruning keeps the blocks from the oldest kept snapshot up, not the
    /// newest: a peer that restored the one before the newest (it was the
    /// newest when it asked) still finds the blocks above it. Keeping only
    /// the newest's left such a node unable to catch up (bench cluster --wipe).
    @Test func pruningKeepsTheBlocksAboveEveryKeptSnapshot() throws {
        let dir = try makeTemporaryDirectory("baton-snap-prune")
        let store = try NodeStore(directory: dir, genesis: genesis, create: true)
        store.startSnapshots(interval: 10, kept: 2)
        for height in Height(1)...35 {
            try commit(store, height...height)
            store.settleSnapshots()
        }
        #expect(SnapshotFolder.list(store.snapshotsFolder).map(\.manifest.head.height) == [20, 30])
        let pruner = BlockPruner(store: store, retain: 5, floor: store.oldestRetainedHeight, batchMax: 4) { _ in }
        pruner.committed(35)
        pruner.settle()
        #expect(store.oldestRetainedHeight == 20, "the window alone would start at 31, the newest snapshot at 30")
        #expect(try store.finalizedBlocks(from: 21, limit: 1).first?.block.height == 21)
        // Once 40's snapshot replaced 20's, the floor may rise to 30.
        for height in Height(36)...40 {
            try commit(store, height...height)
            store.settleSnapshots()
            pruner.committed(height)
        }
        pruner.settle()
        #expect(store.oldestRetainedHeight == 30)
        pruner.close()
        store.close()
    }

    @Test func aSnapshotRestoresOnlyIntoANewStoreOfItsChain() throws {
        let source = try NodeStore(directory: try makeTemporaryDirectory("baton-snap-g"), genesis: genesis, create: true)
        try commit(source, 1...10)
        let folder = try makeTemporaryDirectory("baton-snap") + "/s"
        _ = try source.writeSnapshot(into: folder)
        #expect { try source.restoreSnapshot(from: folder) } throws: { "\($0)".contains("only into a new store") }
        source.close()
        let foreign = try NodeStore(directory: try makeTemporaryDirectory("baton-snap-h"),
                                    genesis: Block.genesis(chainID: SHA256Digest.hash(Array("other".utf8)), timestampMs: 0), create: true)
        #expect { try foreign.restoreSnapshot(from: folder) } throws: { "\($0)".contains("another chain") }
        foreign.close()
        #expect { try SnapshotFolder.verify(try makeTemporaryDirectory("baton-snap-empty")) } throws: { "\($0)".contains("no snapshot manifest") }
    }
}
