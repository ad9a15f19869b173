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
        pool.remove([SHA256Digest.hash([1])])
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
