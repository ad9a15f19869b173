import BatonCrypto
import Consensus
import Foundation
import Simulation
@testable import Storage
import BatonTestSupport
import Testing

/// Commits written off the loop (`CommitWriter`, issue 18): readers see every
/// commit as if it were written in place, batches land in order, and a failed
/// background write stops the store instead of being skipped over.
@Suite(.blockingWork) struct CommitWriterTests {
    let genesis = SimulatedCommittee(n: 4, seed: 7).genesis
    let qc: QuorumCertificate
    /// Enough writes per commit that every batch is handed over.
    let keys = (0..<200).map { Array("key-\($0)".utf8) }

    init() { qc = QuorumCertificate.genesis(genesis.id) }

    func block(_ height: Height) -> Block {
        Block(view: height, height: height, parentID: genesis.id, qc: qc, lastViewTC: nil, proposer: 0,
              timestampMs: 1, executedHeight: 0, executedStateHash: .zero, payload: [])
    }

    /// Stages `keys` with the value `height` in the app namespace and commits `height`.
    func commit(_ store: NodeStore, _ height: Height) throws {
        store.app("kv").stage(keys.map { ($0, Array("\(height)".utf8)) })
        #expect(keys.count + 6 >= CommitWriter.handOverEntriesMin)
        try store.commit(block(height), certifiedBy: qc, stateHash: Bytes32([UInt8](repeating: UInt8(height % 256), count: 32))!)
    }

    /// A read right after a commit sees it, every time: the plugin reads its
    /// state at the start of the next `commit_block`, block sync reads the
    /// blocks just committed.
    @Test func theReadAfterACommitSeesIt() throws {
        let store = try NodeStore(directory: try makeTemporaryDirectory("baton-writer"), genesis: genesis, create: true)
        for height in Height(1)...60 {
            try commit(store, height)
            #expect(try store.app("kv").value(forKey: keys[Int(height) % keys.count]) == Array("\(height)".utf8))
            #expect(try store.finalizedHead().height == height)
            #expect(try store.finalizedBlocks(from: height, limit: 1).first?.block.height == height)
        }
        store.close()
    }

    /// Batches land in the order they were handed over: after many commits
    /// in a row and a reopen, every key holds the last commit's value.
    /// The 100 commits run off the cooperative pool: disk writes, seconds in a loaded suite.
    @Test func batchesLandInCommitOrder() async throws {
        let dir = try makeTemporaryDirectory("baton-writer")
        try await offThePoolThrowing { [self] in
            let store = try NodeStore(directory: dir, genesis: genesis, create: true)
            for height in Height(1)...100 { try commit(store, height) }
            store.close()
        }
        let store = try NodeStore(directory: dir, genesis: genesis)
        #expect(try store.finalizedHead().height == 100)
        var values: Set<[UInt8]> = []
        try store.app("kv").forEach(withPrefix: Array("key-".utf8)) { _, value in
            values.insert(value)
            return true
        }
        #expect(values == [Array("100".utf8)])
    }

    /// A background write that fails is not skipped over: no later batch is
    /// written, the durable height does not pass it, and the store's next
    /// commit, safety write and sync throw the failure.
    @Test func aFailedBackgroundWriteStopsTheStore() throws {
        let store = try NodeStore(directory: try makeTemporaryDirectory("baton-writer"), genesis: genesis, create: true)
        try commit(store, 1)
        try store.syncCommitted()
        #expect(store.durableHeight == 1)
        store.db.close()  // the disk goes away under the writer
        try commit(store, 2)  // handed over: the failure comes later
        let failure = #expect(throws: StorageError.self) { try store.syncCommitted() }
        #expect(failure?.description.contains("closed") == true)
        #expect(throws: StorageError.self) { try store.saveSafetyData(SafetyData(highestVotedView: 3)) }
        #expect(throws: StorageError.self) { try commit(store, 3) }
        store.app("kv").stage([(keys[0], [1])])  // a small batch is refused too, not written in place
        #expect(throws: StorageError.self) { try store.commit(block(4), certifiedBy: qc, stateHash: .zero) }
        #expect(store.durableHeight == 1)
    }
}
