import BatonCrypto
import Node
import Testing

@Suite struct MempoolTests {
    @Test func deduplicatesBoundsAndHandsOutBatchesInOrder() {
        var limits = Mempool.Limits()
        limits.transactionsMax = 3
        limits.batchTransactionsMax = 2
        var pool = Mempool(limits: limits)
        #expect(pool.add([1], nowMs: 0) == .added(SHA256Digest.hash([1])))
        #expect(pool.add([1], nowMs: 0) == .duplicate(SHA256Digest.hash([1])))
        _ = pool.add([2], nowMs: 0)
        _ = pool.add([3], nowMs: 0)
        #expect(pool.add([4], nowMs: 0) == .full)
        #expect(pool.batch(nowMs: 1).map(\.transaction) == [[1], [2]])
        // Removal answers when each was admitted (nil: not held; [9] found the pool full), for the stage times.
        _ = pool.add([9], nowMs: 5)
        #expect(pool.remove([SHA256Digest.hash([9]), SHA256Digest.hash([1]), SHA256Digest.hash([7])]) == [nil, 0, nil])
        #expect(pool.batch(nowMs: 1).map(\.transaction) == [[2], [3]])
    }

    @Test func skipsTransactionsAlreadyInFlightAndExpiresOldOnes() {
        var pool = Mempool()
        _ = pool.add([1], nowMs: 0)
        _ = pool.add([2], nowMs: 0)
        #expect(pool.batch(nowMs: 1, excluding: [SHA256Digest.hash([1])]).map(\.transaction) == [[2]])
        #expect(pool.batch(nowMs: pool.limits.lifetimeMs + 1).isEmpty)
        #expect(pool.count == 0)
    }
}

/// The committed-transaction filter: a window in time and a bound in count.
@Suite struct RecentlyCommittedTests {
    let hashes = (0..<10).map { SHA256Digest.hash([UInt8($0)]) }

    @Test func entriesLeaveAfterTheLifetime() {
        var filter = RecentlyCommitted(lifetimeMs: 1_000)
        filter.record(Array(hashes[0..<3]), height: 7, nowMs: 0)
        #expect(filter.height(of: hashes[1]) == 7)
        filter.record([hashes[3]], height: 8, nowMs: 900)
        filter.expire(nowMs: 1_001)
        #expect(filter.height(of: hashes[1]) == nil && filter.height(of: hashes[3]) == 8)
        #expect(filter.count == 1)
    }

    @Test func theOldestGoFirstWhenFull() {
        var filter = RecentlyCommitted(lifetimeMs: 60_000, capacity: 4)
        filter.record(hashes, height: 1, nowMs: 0)
        #expect(filter.count == 4)
        #expect(filter.height(of: hashes[5]) == nil && filter.height(of: hashes[9]) == 1)
        // Recording a kept hash again does not count it twice.
        filter.record([hashes[9]], height: 2, nowMs: 1)
        #expect(filter.count == 4 && filter.height(of: hashes[9]) == 1)
    }

    /// Host transactions (upgrade plans, approvals) have their own lane: a
    /// mempool full of app transactions still takes them, and they go first
    /// in the next proposal, so a plan is not starved past its deadline.
    @Test func hostTransactionsHaveTheirOwnBoundedLaneAndGoFirst() {
        var limits = Mempool.Limits()
        limits.transactionsMax = 3
        limits.batchTransactionsMax = 2
        var pool = Mempool(limits: limits)
        for i in 0..<3 { _ = pool.add([UInt8(i)], nowMs: 0) }
        #expect(pool.add([9], nowMs: 0) == .full)
        guard case .added(let host) = pool.add([0xAA, 1], nowMs: 0, host: true) else {
            Issue.record("a full app lane refused a host transaction")
            return
        }
        let batch = pool.batch(nowMs: 1)
        #expect(batch.first?.hash == host && batch.count == 3, "the host transaction first, then the app's batch")
        #expect(pool.count == 4)
        // The lane is bounded.
        for i in 1..<Mempool.hostTransactionsMax { _ = pool.add([0xAA, 2, UInt8(i)], nowMs: 0, host: true) }
        #expect(pool.add([0xAA, 3], nowMs: 0, host: true) == .full)
        // Committed host transactions leave the lane and free room.
        pool.remove([host])
        #expect(!pool.contains(host))
        if case .added = pool.add([0xAA, 3], nowMs: 0, host: true) {} else { Issue.record("no room after a removal") }
        // And they expire like the others.
        _ = pool.batch(nowMs: limits.lifetimeMs + 10)
        #expect(pool.count == 0)
    }
}
