import BatonCrypto
import Consensus
import Foundation
import Simulation
@testable import Storage
import BatonTestSupport
import Testing

/// Issue 14's storage findings: a store that was created is never silently
/// re-initialised, and synced safety data that disappears stops the node.
@Suite struct StoreIntegrityTests {
    let genesis = SimulatedCommittee(n: 4, seed: 7).genesis

    func kind(_ body: () throws -> Void) -> StorageError.Kind? {
        do { try body(); return nil } catch { return (error as? StorageError)?.kind }
    }

    func error(_ body: () throws -> Void) -> StorageError? {
        do { try body(); return nil } catch { return error as? StorageError }
    }

    /// A store with views 1…20 voted, the first 10 flushed to a table file
    /// and the rest only in the WAL.
    func storeWithHistory() throws -> String {
        let dir = try makeTemporaryDirectory("baton-integrity")
        let store = try NodeStore(directory: dir, genesis: genesis, create: true)
        for view in View(1)...10 { try store.saveSafetyData(SafetyData(highestVotedView: view)) }
        try store.flush()
        for view in View(11)...20 { try store.saveSafetyData(SafetyData(highestVotedView: view)) }
        store.close()
        return dir
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
        #expect(failure?.description.contains("the safety record says 20") == true)
        #expect(failure?.description.contains("sign twice") == true)
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
            for view in View(1)...20 { try store.saveSafetyData(SafetyData(highestVotedView: view)) }
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
