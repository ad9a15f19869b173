import BatonCrypto
import Consensus
import Foundation
import Simulation
@testable import Storage
import BatonTestSupport
import Testing

/// Issue 14's storage findings: a store that was created is never silently
/// re-initialised, and synced blocks that disappear stop the node; safety
/// data lives in the safety record (issue 18: one fsync per vote), so a
/// damaged WAL loses no vote.
@Suite(.blockingWork) struct StoreIntegrityTests {
    let genesis = SimulatedCommittee(n: 4, seed: 7).genesis

    func kind(_ body: () throws -> Void) -> StorageError.Kind? {
        do { try body(); return nil } catch { return (error as? StorageError)?.kind }
    }

    func error(_ body: () throws -> Void) -> StorageError? {
        do { try body(); return nil } catch { return error as? StorageError }
    }

    /// A store with views 1…20 voted and heights 1…20 committed and synced,
    /// the first 10 of each flushed to a table file and the rest only in the WAL.
    func storeWithHistory() throws -> String {
        let dir = try makeTemporaryDirectory("baton-integrity")
        let store = try NodeStore(directory: dir, genesis: genesis, create: true)
        try history(store, 1...10)
        try store.flush()
        try history(store, 11...20)
        store.close()
        return dir
    }

    /// Commits a block and votes in each view of `views`; the last vote's
    /// record says every commit before it is durable.
    func history(_ store: NodeStore, _ views: ClosedRange<View>) throws {
        let qc = QuorumCertificate.genesis(genesis.id)
        for view in views {
            let block = Block(view: view, height: view, parentID: genesis.id, qc: qc, lastViewTC: nil, proposer: 0,
                              timestampMs: 1, executedHeight: 0, executedStateHash: .zero, payload: [])
            try store.commit(block, certifiedBy: qc, stateHash: .zero)
            if view == views.upperBound { try store.syncCommitted() }
            try store.saveSafetyData(SafetyData(highestVotedView: view))
        }
    }

    func files(_ dir: String, suffix: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: dir + "/db").filter { $0.hasSuffix(suffix) }.map { dir + "/db/" + $0 }
    }

    @Test func aStoreThatLostCurrentAndItsWALIsNotReinitialised() throws {
        let dir = try storeWithHistory()
        let tables = try files(dir, suffix: ".sst")
        #expect(!tables.isEmpty)
        for file in try files(dir, suffix: ".log") + [dir + "/db/CURRENT"] { try FileManager.default.removeItem(atPath: file) }
        // create: true, as the node opens it: before, this started at height 0 and deleted the tables.
        let failure = error { _ = try NodeStore(directory: dir, genesis: genesis, create: true) }
        #expect(failure?.kind == .missingStore)
        #expect(failure?.description.contains("restore db/ from a backup") == true)
        #expect(try tables.allSatisfy { try FileManager.default.fileExists(atPath: $0) && Data(contentsOf: URL(fileURLWithPath: $0)).count > 0 })
    }

    @Test func anEmptiedWALStopsTheStore() throws {
        let dir = try storeWithHistory()
        for wal in try files(dir, suffix: ".log") { #expect(truncate(wal, 0) == 0) }
        let failure = error { _ = try NodeStore(directory: dir, genesis: genesis, create: true) }
        #expect(failure?.kind == .lostSyncedWrites)
        #expect(failure?.description.contains("its finalized height is 10, the safety record says 20 was synced") == true)
        #expect(failure?.description.contains("sign twice") == true)
    }

    /// Votes are the record's: a WAL emptied after 20 votes (and no commit)
    /// loses none of them — RocksDB's copy is put back from the record.
    @Test func anEmptiedWALLosesNoVote() throws {
        let dir = try makeTemporaryDirectory("baton-integrity")
        do {
            let store = try NodeStore(directory: dir, genesis: genesis, create: true)
            try store.flush()  // the schema: without it, the emptied WAL leaves no database at all
            for view in View(1)...20 { try store.saveSafetyData(SafetyData(highestVotedView: view)) }
            store.close()
        }
        for wal in try files(dir, suffix: ".log") { #expect(truncate(wal, 0) == 0) }
        for _ in 0..<2 {
            let store = try NodeStore(directory: dir, genesis: genesis)
            #expect(try store.recover().safety.highestVotedView == 20)
            store.close()
        }
    }

    /// Commits are synced off the loop: the durable height follows them by
    /// itself, and the next vote's record carries it.
    @Test func theBackgroundSyncMakesCommitsDurableAndTheRecordSaysSo() async throws {
        let dir = try makeTemporaryDirectory("baton-integrity")
        let store = try NodeStore(directory: dir, genesis: genesis, create: true)
        let qc = QuorumCertificate.genesis(genesis.id)
        for height in Height(1)...5 {
            try store.commit(Block(view: height, height: height, parentID: genesis.id, qc: qc, lastViewTC: nil, proposer: 0,
                                   timestampMs: 1, executedHeight: 0, executedStateHash: .zero, payload: []),
                             certifiedBy: qc, stateHash: .zero)
        }
        let deadline = ContinuousClock.now + .seconds(5)
        while store.durableHeight < 5, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(1)) }
        #expect(store.durableHeight == 5)
        try store.saveSafetyData(SafetyData(highestVotedView: 6))
        store.close()
        let (_, record) = try SafetyRecordFile.open(directory: dir, create: false)
        #expect(record?.finalizedHeight == 5 && record?.safety.highestVotedView == 6)
    }

    /// The commit that ends an epoch is synchronous, so a record of a later
    /// epoch than the store knows means the store lost it.
    @Test func aRecordOfAnEpochTheStoreDoesNotKnowStopsTheStore() throws {
        let dir = try makeTemporaryDirectory("baton-integrity")
        do {
            let store = try NodeStore(directory: dir, genesis: genesis, create: true)
            try store.saveSafetyData(SafetyData(highestVotedView: 3, epoch: 1))
            store.close()
        }
        let failure = error { _ = try NodeStore(directory: dir, genesis: genesis) }
        #expect(failure?.kind == .lostSyncedWrites)
        #expect(failure?.description.contains("it knows 0 committee changes, the safety record's data is of epoch 1") == true)
    }

    /// The refusal leaves the store as it found it: with the WAL put back
    /// from a copy, it opens with nothing lost. Also when nothing was ever
    /// flushed, so RocksDB alone would see an empty database.
    @Test(arguments: [true, false]) func aRefusedStoreIsLeftAsItWasFound(flushed: Bool) throws {
        let dir: String
        if flushed {
            dir = try storeWithHistory()
        } else {
            dir = try makeTemporaryDirectory("baton-integrity")
            let store = try NodeStore(directory: dir, genesis: genesis, create: true)
            try history(store, 1...20)
            store.close()
        }
        let wals = try files(dir, suffix: ".log")
        let saved = try wals.map { try Data(contentsOf: URL(fileURLWithPath: $0)) }
        for wal in wals { #expect(truncate(wal, 0) == 0) }
        let failure = error { _ = try NodeStore(directory: dir, genesis: genesis, create: true) }
        #expect(failure?.kind == .lostSyncedWrites, "\(String(describing: failure))")
        for (wal, bytes) in zip(wals, saved) { try bytes.write(to: URL(fileURLWithPath: wal)) }
        let store = try NodeStore(directory: dir, genesis: genesis)
        #expect(try store.recover().safety.highestVotedView == 20)
        store.close()
    }

    @Test func aTruncatedWALStopsTheStore() throws {
        let dir = try storeWithHistory()
        for wal in try files(dir, suffix: ".log") {
            let size = try FileManager.default.attributesOfItem(atPath: wal)[.size] as! Int
            #expect(truncate(wal, off_t(size / 2)) == 0)
        }
        #expect(kind { _ = try NodeStore(directory: dir, genesis: genesis, create: true) } == .lostSyncedWrites)
    }

    @Test func garbageInTheMiddleOfTheWALStopsTheStore() throws {
        let dir = try storeWithHistory()
        for wal in try files(dir, suffix: ".log") {
            let size = try FileManager.default.attributesOfItem(atPath: wal)[.size] as! Int
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: wal))
            try handle.seek(toOffset: UInt64(size / 3))
            handle.write(Data(repeating: 0x5A, count: min(4_096, size / 3)))
            try handle.close()
        }
        let found = kind { _ = try NodeStore(directory: dir, genesis: genesis, create: true) }
        #expect(found == .corrupted || found == .lostSyncedWrites)
    }

    @Test func aMissingSafetyRecordStopsTheStore() throws {
        let dir = try storeWithHistory()
        try FileManager.default.removeItem(atPath: dir + "/safety")
        let failure = error { _ = try NodeStore(directory: dir, genesis: genesis, create: true) }
        #expect(failure?.kind == .missingSafetyRecord)
        #expect(failure?.description.contains("will not guess") == true)
    }

    @Test func aTornSlotFallsBackToTheOtherAndBothDamagedIsCorruption() throws {
        let dir = try storeWithHistory()
        // The newest record (sequence 21: 1 at creation + 20) is in slot 1; tear it.
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: dir + "/safety"))
        try handle.seek(toOffset: UInt64(SafetyRecordFile.slotBytes + 30))
        handle.write(Data(repeating: 0xFF, count: 8))
        try handle.close()
        do {
            let store = try NodeStore(directory: dir, genesis: genesis)
            #expect(try store.recover().safety.highestVotedView == 20)
            store.close()
        }
        let again = try FileHandle(forWritingTo: URL(fileURLWithPath: dir + "/safety"))
        try again.seek(toOffset: 30)
        again.write(Data(repeating: 0xFF, count: 8))
        try again.seek(toOffset: UInt64(SafetyRecordFile.slotBytes + 30))
        again.write(Data(repeating: 0xFF, count: 8))
        try again.close()
        #expect(kind { _ = try NodeStore(directory: dir, genesis: genesis) } == .corrupted)
    }

    @Test func filesThatAreNotAStoreAreLeftAlone() throws {
        let dir = try makeTemporaryDirectory("baton-integrity")
        try FileManager.default.createDirectory(atPath: dir + "/db", withIntermediateDirectories: true)
        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: dir + "/db/000042.sst"))
        let failure = error { _ = try NodeStore(directory: dir, genesis: genesis, create: true) }
        #expect(failure?.kind == .unrecognized)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir + "/db") == ["000042.sst"])
    }

    @Test func anotherNodesDirectoryIsRefused() throws {
        let dir = try makeTemporaryDirectory("baton-integrity")
        let mine = PrivateKey.generate().publicKey, theirs = PrivateKey.generate().publicKey
        try NodeStore(directory: dir, genesis: genesis, create: true, owner: theirs).close()
        let failure = error { _ = try NodeStore(directory: dir, genesis: genesis, create: true, owner: mine) }
        #expect(failure?.kind == .otherNode)
        #expect(failure?.description.contains(theirs.hex) == true)
        try NodeStore(directory: dir, genesis: genesis, owner: theirs).close()
    }

    /// A store written before markers and safety records opens as it is and gets both.
    @Test func aStoreFromBeforeMarkersIsAdopted() throws {
        let dir = try storeWithHistory()
        try FileManager.default.removeItem(atPath: dir + "/store.id")
        try FileManager.default.removeItem(atPath: dir + "/safety")
        do {
            let store = try NodeStore(directory: dir, genesis: genesis)
            #expect(try store.recover().safety.highestVotedView == 20)
            store.close()
        }
        #expect(FileManager.default.fileExists(atPath: dir + "/store.id"))
        #expect(FileManager.default.fileExists(atPath: dir + "/safety"))
    }

    @Test func rocksDBsInfoLogsAreBounded() throws {
        let dir = try storeWithHistory()
        for _ in 0..<12 { try NodeStore(directory: dir, genesis: genesis).close() }
        let logs = try FileManager.default.contentsOfDirectory(atPath: dir + "/db").filter { $0.hasPrefix("LOG") }
        #expect(logs.count <= RocksDatabase.infoLogFilesKept)
    }
}
