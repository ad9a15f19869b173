import BatonCrypto
import Consensus
import Foundation
@testable import Storage
import BatonTestSupport
import Testing

/// Schema 2: finalized blocks live in a column family of their own, keyed by
/// height, and pruning deletes their table files whole (no tombstones, no
/// rewrite: the disk of a pruned store no longer peaks at compactions). A
/// schema-1 store (blocks under `b/` + id) opens, is upgraded, and keeps
/// every block readable until pruning reaches it.
@Suite(.blockingWork) struct BlocksFamilyTests {
    let blocks = SyntheticBlocks()
    var genesis: Block { blocks.genesis }
    var qc: QuorumCertificate { blocks.qc }
    var family: String { StoreLayout.blocksFamily.name }

    /// Block `height` with `bytes` of incompressible payload (LZ4 would
    /// otherwise shrink the files this suite measures to nothing).
    func bigBlock(_ height: Height, bytes: Int) -> Block {
        var state = height &* 0x9E37_79B9_7F4A_7C15 | 1
        var payload = [UInt8](repeating: 0, count: bytes)
        for index in payload.indices {
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            payload[index] = UInt8(truncatingIfNeeded: state)
        }
        return Block(view: height, height: height, parentID: genesis.id, qc: qc, lastViewTC: nil, proposer: 0,
                     timestampMs: 1, executedHeight: 0, executedStateHash: .zero, payload: payload)
    }

    @Test func pruningDeletesTheBlocksTableFilesBelowTheFloor() throws {
        let store = try NodeStore(directory: try makeTemporaryDirectory("baton-blocks-files"), genesis: genesis, create: true)
        let payload = 32 << 10
        for height in Height(1)...600 {
            try store.commit(bigBlock(height, bytes: payload), certifiedBy: qc, stateHash: .zero)
        }
        try store.syncCommitted()
        try store.db.compact(family: family)
        let before = try store.db.tableFileBytes(family: family)
        #expect(before > UInt64(600 * payload) * 9 / 10, "\(before) bytes for 600 blocks of \(payload)")
        #expect(try store.pruneStep(below: 501, batchMax: 1_000) == 501)
        let after = try store.db.tableFileBytes(family: family)
        // 100 blocks kept, and at most the one file that straddles the floor beyond them.
        let bound = UInt64(100 * payload + 2 * StoreLayout.blocksMemtableBytes)
        #expect(after <= bound, "\(after) bytes kept of \(before), bound \(bound)")
        #expect(try store.block(id: bigBlock(500, bytes: payload).id) == nil)
        #expect(try store.finalizedBlocks(from: 501, limit: 200).map(\.block.height) == Array(501...600))
        store.close()
    }

    @Test func aSchema1StoreIsUpgradedAndItsBlocksStayReadableUntilPruned() throws {
        let dir = try makeTemporaryDirectory("baton-blocks-schema1")
        do {
            let store = try NodeStore(directory: dir, genesis: genesis, create: true)
            for height in Height(1)...30 { try store.commit(blocks.block(height), certifiedBy: qc, stateHash: .zero) }
            store.close()
        }
        try rewriteAsSchema1(dir)
        let store = try NodeStore(directory: dir, genesis: genesis)
        #expect(try store.db.get(StoreLayout.schema) == [0, 0, 0, 2], "upgraded at open")
        #expect(try store.recover().finalized == blocks.block(30))
        for height in Height(1)...30 { #expect(try store.block(id: blocks.block(height).id) == blocks.block(height)) }
        for height in Height(31)...40 { try store.commit(blocks.block(height), certifiedBy: qc, stateHash: .zero) }
        #expect(try store.finalizedBlocks(from: 25, limit: 100).map(\.block) == (25...40).map { blocks.block($0) },
                "the two layouts read as one chain")
        #expect(try store.db.get(StoreLayout.finalized(blocks.block(35).id)) == nil, "new blocks go to the blocks family")
        #expect(try store.pruneStep(below: 36, batchMax: 100) == 36)
        #expect(try store.db.get(StoreLayout.finalized(blocks.block(20).id)) == nil, "a schema-1 block is deleted when pruned")
        #expect(try store.block(id: blocks.block(33).id) == nil)
        #expect(try store.block(id: blocks.block(36).id) == blocks.block(36))
        store.close()
        let reopened = try NodeStore(directory: dir, genesis: genesis)
        #expect(try reopened.recover().finalized == blocks.block(40))
        reopened.close()
    }

    /// Members snapshot the same height into the same chunks whatever layout
    /// holds their blocks: a syncing node fetches chunks from any of them.
    @Test func aSnapshotIsTheSameFromEitherLayout() throws {
        let dir = try makeTemporaryDirectory("baton-blocks-snapshot")
        let fromSchema2: SnapshotManifest
        do {
            let store = try NodeStore(directory: dir, genesis: genesis, create: true)
            for height in Height(1)...12 {
                store.app("kv").stage([(Array("k\(height % 5)".utf8), Array("\(height)".utf8))])
                try store.commit(blocks.block(height), certifiedBy: qc, stateHash: SHA256Digest.hash(Array("\(height)".utf8)))
            }
            fromSchema2 = try store.writeSnapshot(into: dir + "/snapshot-2", chunkBytesMax: 256)
            store.close()
        }
        try rewriteAsSchema1(dir)
        let store = try NodeStore(directory: dir, genesis: genesis)
        let fromSchema1 = try store.writeSnapshot(into: dir + "/snapshot-1", chunkBytesMax: 256)
        store.close()
        #expect(fromSchema1.chunkHashes.count > 1)
        #expect(fromSchema1 == fromSchema2)
    }

    /// Rewrites a store's database as schema 1 wrote it: one column family,
    /// finalized blocks under `b/` + id, no `i/` index.
    func rewriteAsSchema1(_ dir: String) throws {
        let path = dir + "/db"
        var records: [([UInt8], [UInt8])] = []
        do {
            let db = try RocksDatabase(path: path, createIfMissing: false, columnFamilies: [StoreLayout.blocksFamily])
            var heights: [Height] = []
            try db.scan(prefix: []) { key, value in
                if key.starts(with: StoreLayout.blockHeightPrefix) {
                    var r = WireReader(value)
                    if let height = try? r.u64("height") { heights.append(height) }
                } else if key == StoreLayout.schema {
                    records.append((key, [0, 0, 0, 1]))
                } else {
                    records.append((key, value))
                }
                return true
            }
            for height in heights {
                let bytes = try #require(try db.get(StoreLayout.block(at: height), family: family))
                records.append((StoreLayout.finalized(try Block.decode(bytes).id), bytes))
            }
            #expect(!heights.isEmpty)
            db.close()
        }
        try FileManager.default.removeItem(atPath: path)
        let db = try RocksDatabase(path: path, createIfMissing: true)
        let batch = WriteBatch()
        for (key, value) in records { batch.put(key, value) }
        try db.write(batch, sync: true)
        db.close()
    }
}
