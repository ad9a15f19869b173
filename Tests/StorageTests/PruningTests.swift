import BatonCrypto
import Consensus
import Foundation
import Simulation
@testable import Storage
import BatonTestSupport
import Testing

/// Pruning (issue 31, `[storage] retain_blocks`): old finalized blocks, their
/// QCs and height index go, in bounded atomic steps that record where the
/// kept blocks start; the head, the app state and everything with a window
/// of its own stay.
@Suite(.blockingWork) struct PruningTests {
    let blocks = SyntheticBlocks()
    var genesis: Block { blocks.genesis }
    var qc: QuorumCertificate { blocks.qc }
    func block(_ height: Height) -> Block { blocks.block(height) }

    /// A store with blocks 1...head committed, each with one app write.
    func store(head: Height, in dir: String) throws -> NodeStore {
        let store = try NodeStore(directory: dir, genesis: genesis, create: true)
        for height in 1...head {
            store.app("kv").stage([(Array("k\(height % 7)".utf8), Array("\(height)".utf8))])
            try store.commit(block(height), certifiedBy: qc, stateHash: SHA256Digest.hash(Array("\(height)".utf8)))
        }
        return store
    }

    @Test func stepsDeleteTheOldestHeightsAndRecordTheFloor() throws {
        let dir = try makeTemporaryDirectory("baton-prune")
        do {
            let store = try store(head: 40, in: dir)
            #expect(store.oldestRetainedHeight == 1)
            #expect(try store.pruneStep(below: 31, batchMax: 12) == 13)
            #expect(try store.finalizedBlocks(from: 12, limit: 5).isEmpty, "below the floor: nothing that would not connect")
            #expect(try store.finalizedBlocks(from: 13, limit: 1).first?.block == block(13))
            #expect(try store.pruneStep(below: 31, batchMax: 12) == 25)
            #expect(try store.pruneStep(below: 31, batchMax: 12) == 31)
            #expect(try store.pruneStep(below: 31, batchMax: 12) == 31, "the target reached, a step does nothing")
            for height in Height(1)...30 {
                #expect(try store.block(id: block(height).id) == nil)
                #expect(try store.finalizedBlocks(from: height, limit: 1).isEmpty)
            }
            let kept = try store.finalizedBlocks(from: 31, limit: 100)
            #expect(kept.map(\.block.height) == Array(31...40))
            #expect(kept.allSatisfy { $0.qc == qc })
            // The app state and the app state hashes are not blocks: all still there.
            #expect(try store.app("kv").value(forKey: Array("k5".utf8)) == Array("40".utf8))
            #expect(try store.recover().executedStates[20] == SHA256Digest.hash(Array("20".utf8)))
            store.close()
        }
        // The floor is durable, and the store resumes from its head.
        let reopened = try NodeStore(directory: dir, genesis: genesis)
        #expect(reopened.oldestRetainedHeight == 31)
        let recovered = try reopened.recover()
        #expect(recovered.head.height == 40 && recovered.finalized == block(40))
        reopened.close()
    }

    @Test func theHeadIsNeverPruned() throws {
        let store = try store(head: 8, in: try makeTemporaryDirectory("baton-prune-head"))
        #expect(try store.pruneStep(below: 1_000, batchMax: 1_000) == 8)
        #expect(try store.finalizedBlocks(from: 8, limit: 2).map(\.block) == [block(8)])
        #expect(try store.recover().finalized == block(8))
        store.close()
    }

    /// The background pruner keeps exactly the newest `retain` heights as
    /// commits go on, in steps of at most `batchMax`.
    @Test func theBackgroundPrunerKeepsTheWindow() throws {
        let store = try store(head: 50, in: try makeTemporaryDirectory("baton-pruner"))
        let pruner = BlockPruner(store: store, retain: 10, floor: store.oldestRetainedHeight, batchMax: 4) { _ in }
        pruner.committed(50)
        pruner.settle()
        #expect(pruner.floor == 41 && store.oldestRetainedHeight == 41)
        // Fewer than a batch due: no pass starts.
        for height in Height(51)...53 {
            try store.commit(block(height), certifiedBy: qc, stateHash: .zero)
            pruner.committed(height)
        }
        pruner.settle()
        #expect(store.oldestRetainedHeight == 41)
        try store.commit(block(54), certifiedBy: qc, stateHash: .zero)
        pruner.committed(54)
        pruner.settle()
        #expect(store.oldestRetainedHeight == 45)
        #expect(try store.finalizedBlocks(from: 45, limit: 100).map(\.block.height) == Array(45...54))
        pruner.close()
        store.close()
    }

    /// ABI 1.7 `retain_height`: the app can ask the pruner to keep more
    /// (from its height up), never less than the node's window.
    @Test func theApplicationsRetainHeightKeepsMoreNeverLess() throws {
        let store = try store(head: 50, in: try makeTemporaryDirectory("baton-pruner-app"))
        let pruner = BlockPruner(store: store, retain: 10, floor: store.oldestRetainedHeight, batchMax: 4) { _ in }
        store.keepBlocks(from: 20)
        pruner.committed(50)
        pruner.settle()
        #expect(store.oldestRetainedHeight == 20, "the app's height, below the window's 41")
        #expect(try store.finalizedBlocks(from: 20, limit: 1).first?.block.height == 20)
        // A wish above the window changes nothing: the window is kept.
        store.keepBlocks(from: 58)
        for height in Height(51)...60 {
            try store.commit(block(height), certifiedBy: qc, stateHash: .zero)
            pruner.committed(height)
        }
        pruner.settle()
        #expect(store.oldestRetainedHeight == 51, "the window of the newest 10")
        pruner.close()
        store.close()
    }

    @Test func aMalformedFloorRecordIsRefusedAtOpen() throws {
        let dir = try makeTemporaryDirectory("baton-prune-bad")
        do {
            let store = try store(head: 3, in: dir)
            let batch = WriteBatch()
            batch.put(StoreLayout.pruned, [1, 2, 3])
            try store.db.write(batch, sync: true)
            store.close()
        }
        #expect {
            try NodeStore(directory: dir, genesis: genesis)
        } throws: { error in
            "\(error)".contains("m/pruned")
        }
    }
}
