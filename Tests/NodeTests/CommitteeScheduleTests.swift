import BatonCrypto
import Consensus
@testable import Node
import Simulation
import Testing
import Governance

/// The committee rules C-1..C-3 (`CommitteeSchedule`) and the plan's own
/// checks (`CommitteeChangePlan`), with real signatures.
@Suite struct CommitteeScheduleTests {
    /// Four members and a spare key (a follower that may join).
    let net = SimulatedCommittee(n: 4, realCrypto: true, seed: 11, spares: 1)
    var chainID: Bytes32 { net.committee.chainID }
    let verifier = Secp256k1Verifier()

    func member(_ i: Int, weight: UInt64 = 1, address: String? = nil) -> CommitteeChangePlan.Member {
        CommitteeChangePlan.Member(publicKey: net.keys[i].publicKey, weight: weight, address: address ?? "10.0.0.\(i):7100")
    }

    func plan(_ members: [Int], epoch: Epoch = 0, expires: Height = 50, chain: Bytes32? = nil) -> CommitteeChangePlan {
        CommitteeChangePlan(chainID: chain ?? chainID, epoch: epoch, expiresAtHeight: expires, members: members.map { member($0) })
    }

    func propose(_ plan: CommitteeChangePlan, by i: Int) -> HostTransaction {
        .propose(.committee(plan), Approval.sign(plan, with: net.signer(i)))
    }

    func approve(_ plan: CommitteeChangePlan, by i: Int) -> HostTransaction {
        .approve(.committee, Approval.sign(plan, with: net.signer(i)))
    }

    @Test func aPlanIsDecidedInTheBlockThatGivesItMoreThanTwoThirds() {
        var schedule = CommitteeSchedule()
        let grow = plan([0, 1, 2, 3, 4])
        #expect(schedule.apply([propose(grow, by: 0)], at: 5, committee: net.committee, verifier: verifier) == [.proposed(grow.id)])
        #expect(schedule.apply([approve(grow, by: 1), approve(grow, by: 1)], at: 6, committee: net.committee, verifier: verifier)
            == [.approved(grow.id, by: net.keys[1].publicKey), .ignored("\(net.keys[1].publicKey) approved plan \(grow.id.short) already")])
        // C-3: the deciding approval ends the epoch; what follows in the block changes nothing.
        let other = plan([0, 1, 2])
        let outcomes = schedule.apply([approve(grow, by: 3), propose(other, by: 2)], at: 7, committee: net.committee,
                                      verifier: verifier)
        #expect(outcomes == [.decided(grow, approvers: [0, 1, 3].map { net.keys[$0].publicKey }),
                             .ignored("the committee changed earlier in this block")])
        #expect(schedule.open.isEmpty)
        let next = try! grow.committee(following: net.committee)
        #expect(next.epoch == 1 && next.count == 5 && next.index(of: net.keys[4].publicKey) == 4)
    }

    @Test func outsidersLateApprovalsAndOtherEpochsChangeNothing() {
        var schedule = CommitteeSchedule()
        let p = plan([0, 1, 2])
        // C-1: the spare key is no member; it cannot propose (nor approve).
        guard case .ignored(let why) = schedule.apply([propose(p, by: 4)], at: 3, committee: net.committee, verifier: verifier).first
        else { Issue.record("an outsider's plan was taken"); return }
        #expect(why.contains("not a voting member"))
        // A plan for another epoch, or another chain, is refused as a whole.
        #expect(p.problem(chainID: chainID, committee: net.committee) == nil)
        #expect(plan([0, 1, 2], epoch: 3).problem(chainID: chainID, committee: net.committee)?.contains("epoch 3") == true)
        #expect(plan([0, 1, 2], chain: SHA256Digest.hash([9])).problem(chainID: chainID, committee: net.committee)?
            .contains("not this chain") == true)
        // C-2: approvals past the deadline do not count; the plan lapses.
        #expect(schedule.apply([propose(p, by: 0)], at: 3, committee: net.committee, verifier: verifier) == [.proposed(p.id)])
        #expect(schedule.admissionProblem(approve(p, by: 1), height: 60)?.contains("deadline") == true)
        guard case .ignored = schedule.apply([approve(p, by: 1)], at: 51, committee: net.committee, verifier: verifier).first
        else { Issue.record("an approval past the deadline counted"); return }
        #expect(schedule.open.isEmpty)
        // A plan open when the epoch changed lapses with it.
        var again = CommitteeSchedule()
        _ = again.apply([propose(p, by: 0)], at: 3, committee: net.committee, verifier: verifier)
        let epoch1 = try! net.committee.following(members: net.committee.members)
        guard case .ignored = again.apply([approve(p, by: 1)], at: 4, committee: epoch1, verifier: verifier).first
        else { Issue.record("an approval of an earlier epoch's plan counted"); return }
    }

    @Test func aPlanMustDescribeAValidCommittee() {
        let c = net.committee
        #expect(CommitteeChangePlan(chainID: chainID, epoch: 0, expiresAtHeight: 9, members: [])
            .problem(chainID: chainID, committee: c)?.contains("1-64 members") == true)
        #expect(CommitteeChangePlan(chainID: chainID, epoch: 0, expiresAtHeight: 9, members: [member(0), member(0)])
            .problem(chainID: chainID, committee: c)?.contains("appears twice") == true)
        #expect(CommitteeChangePlan(chainID: chainID, epoch: 0, expiresAtHeight: 9, members: [member(0, address: "nowhere")])
            .problem(chainID: chainID, committee: c)?.contains("not host:port") == true)
        #expect(CommitteeChangePlan(chainID: chainID, epoch: 0, expiresAtHeight: 9, members: [member(0, weight: 0)])
            .problem(chainID: chainID, committee: c)?.contains("no member has any weight") == true)
    }

    /// Every kind keeps the first byte it had before kinds were a tag
    /// (upgrades 1 and 2, committee changes 3 and 4): blocks already on a
    /// chain decode as they did. An unknown tag is refused, not guessed.
    @Test func hostTransactionsKeepTheirWireTags() throws {
        let committeePlan = plan([0, 1, 2, 4])
        let upgradePlan = UpgradePlan(chainID: chainID, fromHeight: 40, expiresAtHeight: 30, plugin: "kvstore",
                                      pluginVersion: "2.0.0", sha256: SHA256Digest.hash([1]))
        let upgradeApproval = Approval.sign(upgradePlan, with: net.signer(0))
        let tags = [HostTransaction.propose(.upgrade(upgradePlan), upgradeApproval), .approve(.upgrade, upgradeApproval),
                    propose(committeePlan, by: 0), approve(committeePlan, by: 1)].map { $0.encoded.first }
        #expect(tags == [1, 2, 3, 4])
        #expect(throws: WireDecodingError.self) { try HostTransaction.decode([5] + approve(committeePlan, by: 1).encoded.dropFirst()) }
        #expect(throws: WireDecodingError.self) { try HostTransaction.decode([0] + approve(committeePlan, by: 1).encoded.dropFirst()) }
    }

    @Test func committeeTransactionsAndTheScheduleRoundTrip() throws {
        let p = plan([0, 1, 2, 4])
        let transactions = [propose(p, by: 0), approve(p, by: 1)]
        let decoded = try HostPayload.decode(HostPayload.encode(transactions))
        #expect(decoded == transactions && decoded.allSatisfy { $0.kind == .committee })
        #expect(try HostTransaction(submission: transactions[0].submission) == transactions[0])
        var schedule = CommitteeSchedule()
        _ = schedule.apply(transactions, at: 2, committee: net.committee, verifier: verifier)
        #expect(try CommitteeSchedule.decode(schedule.encoded) == schedule)
        // Damaged: an error, never a crash.
        #expect(throws: WireDecodingError.self) { try HostTransaction.decode(Array(transactions[0].encoded.dropLast(40))) }
        #expect(throws: WireDecodingError.self) { try CommitteeChangePlan.decode([0, 1, 2]) }
    }
}
