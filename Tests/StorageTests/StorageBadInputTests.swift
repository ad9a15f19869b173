import BatonCrypto
import Consensus
import Foundation
import Node
import PluginHost
import Simulation
@testable import Storage
import BatonTestSupport
import Testing

@Suite(.blockingWork) struct StorageBadInputTests {
    let genesis = SimulatedCommittee(n: 4, seed: 7).genesis

    func failure(_ body: () throws -> Void) -> StorageError.Kind? {
        do { try body(); return nil } catch { return (error as? StorageError)?.kind }
    }

    @Test func missingDirectory() {
        #expect(failure { _ = try NodeStore(directory: "/nonexistent/baton-\(UUID())", genesis: genesis, create: true) } == .missingDirectory)
    }

    @Test func emptyDirectoryIsNotSilentlyInitialised() throws {
        #expect(failure { _ = try NodeStore(directory: try makeTemporaryDirectory("baton-store"), genesis: genesis) } == .notInitialized)
    }

    @Test func anotherChainsDirectory() throws {
        let dir = try makeTemporaryDirectory("baton-store")
        _ = try NodeStore(directory: dir, genesis: genesis, create: true)
        let other = SimulatedCommittee(n: 4, seed: 8)
        let otherGenesis = Block.genesis(chainID: SHA256Digest.hash(Array("another".utf8)), timestampMs: 0)
        _ = other
        let error = #expect(throws: StorageError.self) { try NodeStore(directory: dir, genesis: otherGenesis, create: true) }
        #expect(error?.kind == .otherChain)
        #expect(error?.description.contains("another chain") == true)
    }

    @Test func newerSchema() throws {
        let dir = try makeTemporaryDirectory("baton-store")
        do {
            let store = try NodeStore(directory: dir, genesis: genesis, create: true)
            let batch = WriteBatch()
            batch.put(StoreLayout.schema, [0, 0, 0, 99])
            try store.db.write(batch, sync: true)
        }
        let error = #expect(throws: StorageError.self) { try NodeStore(directory: dir, genesis: genesis) }
        #expect(error?.kind == .newerSchema)
        #expect(error?.description.contains("schema 99") == true)
    }

    @Test func corruptedRecords() throws {
        let dir = try makeTemporaryDirectory("baton-store")
        do {
            let store = try NodeStore(directory: dir, genesis: genesis, create: true)
            let batch = WriteBatch()
            batch.put(StoreLayout.safety, [1, 2, 3])
            batch.put(StoreLayout.head, [9])
            try store.db.write(batch, sync: true)
        }
        // Caught at open now (the safety record check reads both records).
        let kind = failure {
            let store = try NodeStore(directory: dir, genesis: genesis)
            _ = try store.recover()
        }
        #expect(kind == .corrupted)
    }

    @Test func corruptedFilesOnDisk() throws {
        let dir = try makeTemporaryDirectory("baton-store")
        do {
            let store = try NodeStore(directory: dir, genesis: genesis, create: true)
            try store.saveSafetyData(SafetyData(highestVotedView: 3))
            try store.flush()
        }
        // Overwrite the middle of every table file with garbage.
        let files = try FileManager.default.contentsOfDirectory(atPath: dir + "/db").filter { $0.hasSuffix(".sst") }
        #expect(!files.isEmpty)
        for file in files {
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: dir + "/db/" + file))
            try handle.seek(toOffset: 20)
            handle.write(Data(repeating: 0xAB, count: 400))
            try handle.close()
        }
        let kind = failure {
            let store = try NodeStore(directory: dir, genesis: genesis)
            _ = try store.recover()
        }
        #expect(kind == .corrupted)
    }

    @Test func lockedByAnotherOpen() throws {
        let dir = try makeTemporaryDirectory("baton-store")
        let first = try NodeStore(directory: dir, genesis: genesis, create: true)
        let error = #expect(throws: StorageError.self) { try NodeStore(directory: dir, genesis: genesis) }
        #expect(error?.kind == .locked)
        withExtendedLifetime(first) {}
    }
}
