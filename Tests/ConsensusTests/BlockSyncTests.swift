import BatonCrypto
@testable import Consensus
import BatonTestSupport
import Testing

@Suite(.blockingWork) struct BlockSyncTests {
    func sync(n: Int = 4, me: ValidatorIndex? = 0, fetchesMax: Int = 3) -> BlockSync {
        var config = ConsensusConfig()
        config.fetchRetryMs = 1_000
        config.outstandingFetchesMax = fetchesMax
        return BlockSync(committeeSize: n, me: me, config: config)
    }

    let missing = SHA256Digest.hash(Array("missing".utf8))

    /// The peers `s.fetch` names for `id` at each time, in order.
    func fetches(_ s: inout BlockSync, _ id: BlockID, hint: ValidatorIndex, at times: [UInt64]) -> [ValidatorIndex?] {
        times.map { s.fetch(id, hint: hint, nowMs: $0) }
    }

    @Test func asksTheProposerFirstAndNotAgainWithinTheRetryInterval() {
        var s = sync()
        #expect(fetches(&s, missing, hint: 2, at: [100, 1_099]) == [2, nil])
        #expect(s.outstandingCount == 1)
    }

    /// A proposer that withholds its blocks (or is down) cannot stall a node:
    /// each retry asks the next member, never this node, until all were asked.
    @Test func retriesAskTheOtherMembersInTurnSkippingItself() {
        var s = sync(n: 4, me: 3)
        #expect(fetches(&s, missing, hint: 2, at: [0, 1_000, 2_000, 3_000]) == [2, 0, 1, 2])
        var t = sync(n: 7, me: 0)
        let asked = fetches(&t, missing, hint: 0, at: (0..<6).map { UInt64($0) * 1_000 })
        #expect(asked == [1, 2, 3, 4, 5, 6])
    }

    @Test func aDeliveredBlockIsNoLongerAsked() {
        var s = sync()
        _ = s.fetch(missing, hint: 1, nowMs: 0)
        let wasAsked = s.received(missing)
        #expect(wasAsked && !s.isAsked(missing))
        #expect(fetches(&s, missing, hint: 1, at: [1]) == [1])
    }

    /// The bound holds; stale requests make room, fresh ones do not.
    @Test func atMostFetchesMaxInFlight() {
        var s = sync(fetchesMax: 2)
        let ids = (0..<3).map { SHA256Digest.hash([UInt8($0)]) }
        #expect(fetches(&s, ids[0], hint: 1, at: [0]) == [1])
        #expect(fetches(&s, ids[1], hint: 1, at: [500]) == [1])
        #expect(fetches(&s, ids[2], hint: 1, at: [900, 1_200]) == [nil, 1])  // then ids[0] was stale
        #expect(s.outstandingCount == 2 && !s.isAsked(ids[0]))
    }

    @Test func anUnansweredCatchUpMovesToTheNextMember() {
        var s = sync(n: 4, me: 0)
        let asked = [0, 10, 1_000, 2_000, 3_000].map { s.catchUp(fromHeight: 10, hint: 1, nowMs: UInt64($0)) }
        #expect(asked == [1, nil, 2, 3, 1])  // wraps, never 0
        s.catchUpAnswered()
        #expect(s.catchUp(fromHeight: 138, hint: 2, nowMs: 3_001) == 2)
    }
}
