import Foundation
@testable import Storage
import BatonTestSupport
import Synchronization
import Testing

/// Closing the database while other threads are inside it (the background WAL
/// sync, the commit writer, a plugin's read) finishes their calls first and
/// refuses later ones: a CI run crashed in `rocksdb_flush_wal` on a database
/// closed under it (`CommitWriterTests.aFailedBackgroundWriteStopsTheStore`).
@Suite(.blockingWork) struct RocksDatabaseCloseTests {
    final class Counts: Sendable {
        let closedSeen = Atomic<Int>(0), calls = Atomic<Int>(0)
    }

    @Test func aCloseUnderConcurrentCallsCrashesNothingAndLaterCallsThrowClosed() async throws {
        let db = try RocksDatabase(path: try makeTemporaryDirectory("baton-close"), createIfMissing: true)
        let counts = Counts()
        // Four threads write, sync and read; the main one closes once they are under way.
        await withTaskGroup(of: Void.self) { group in
            for worker in 0..<4 {
                group.addTask {
                    await offThePool {
                        for round in 0..<1_000_000 {  // until the close (bounded)
                            let batch = WriteBatch()
                            batch.put(Array("k\(worker)-\(round)".utf8), Array("v".utf8))
                            do {
                                try db.write(batch, sync: false)
                                if round % 7 == 0 { try db.syncWAL() }
                                _ = try db.get(Array("k\(worker)-\(round / 2)".utf8))
                                try db.scan(prefix: Array("k\(worker)".utf8)) { _, _ in false }
                                counts.calls.add(1, ordering: .relaxed)
                            } catch {
                                if "\(error)".contains("closed") { counts.closedSeen.add(1, ordering: .relaxed) }
                                return
                            }
                        }
                    }
                }
            }
            group.addTask {
                _ = await waitUntil(seconds: 30, intervalMs: 5) { counts.calls.load(ordering: .relaxed) >= 200 }
                db.close()
            }
        }
        #expect(counts.calls.load(ordering: .relaxed) >= 200)
        #expect(counts.closedSeen.load(ordering: .relaxed) == 4, "every worker ended on 'closed', none crashed")
        #expect(throws: StorageError.self) { try db.get(Array("k0-0".utf8)) }
    }
}
