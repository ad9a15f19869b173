import BatonCrypto
@testable import Consensus
import Simulation
import BatonTestSupport
import Testing

@Suite(.blockingWork) struct CommitteeTests {
    @Test func quorumIsStrictlyMoreThanTwoThirdsByWeight() {
        let equal = TestCommittee(n: 4).committee
        #expect(!equal.isQuorum(2))
        #expect(equal.isQuorum(3))
        let weighted = TestCommittee(n: 4, weights: [3, 1, 1, 1]).committee
        #expect(!weighted.isQuorum(4))  // exactly 2/3 of 6 is not enough
        #expect(weighted.isQuorum(5))
        #expect(!weighted.exceedsFaultyWeight(2))
        #expect(weighted.exceedsFaultyWeight(3))
    }

    @Test func leaderIsDeterministicAndWeighted() {
        let setup = TestCommittee(n: 4, weights: [6, 2, 2, 0])
        var counts = [Int](repeating: 0, count: 4)
        for view in 1...20_000 as ClosedRange<View> { counts[Int(setup.committee.leader(of: view))] += 1 }
        #expect(counts[3] == 0)  // zero weight never leads
        #expect((11_000...13_000).contains(counts[0]))  // 60 %
        #expect((3_300...4_700).contains(counts[1]))
        let again = try! Committee(chainID: setup.committee.chainID, members: setup.committee.members,
                                   leaderSeed: setup.committee.leaderSeed)
        #expect((1...100).allSatisfy { again.leader(of: $0) == setup.committee.leader(of: $0) })
    }

    @Test func nonMembersAndZeroWeightCarryNothing() {
        let c = TestCommittee(n: 3, weights: [1, 1, 0]).committee
        #expect(c.weight(of: 7) == 0)
        #expect(!c.isVoter(7))
        #expect(!c.isVoter(2))
        #expect(c.isVoter(0))
    }

    @Test func invalidCommitteesAreRefused() {
        let key = PrivateKey.generate().publicKey
        let id = Bytes32.zero
        #expect(throws: Committee.InvalidCommittee.self) { try Committee(chainID: id, members: [], leaderSeed: id) }
        #expect(throws: Committee.InvalidCommittee.self) {
            try Committee(chainID: id, members: [.init(publicKey: key, weight: 1), .init(publicKey: key, weight: 1)], leaderSeed: id)
        }
        #expect(throws: Committee.InvalidCommittee.self) { try Committee(chainID: id, members: [.init(publicKey: key, weight: 0)], leaderSeed: id) }
        #expect(throws: Committee.InvalidCommittee.self) {
            try Committee(chainID: id, members: [.init(publicKey: key, weight: Committee.totalWeightMax + 1)], leaderSeed: id)
        }
    }
}
