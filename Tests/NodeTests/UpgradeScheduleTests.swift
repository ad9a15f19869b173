import BatonCrypto
import Consensus
@testable import Node
import Simulation
import Testing
import Governance

/// The upgrade rules U-1..U-4 (UpgradeSchedule), with real signatures.
@Suite struct UpgradeScheduleTests {
    let net = SimulatedCommittee(n: 4, realCrypto: true, seed: 7)
    var chainID: Bytes32 { net.committee.chainID }
    let verifier = Secp256k1Verifier()

    func plan(from: Height = 40, expires: Height = 30, chain: Bytes32? = nil, plugin: String = "checkpointing-aged")
        -> UpgradePlan {
        UpgradePlan(chainID: chain ?? chainID, fromHeight: from, expiresAtHeight: expires, plugin: plugin,
                    pluginVersion: "1.0.0-aged", sha256: SHA256Digest.hash(Array(plugin.utf8)))
    }

    func approval(_ plan: UpgradePlan, by member: Int) -> Approval { Approval.sign(plan, with: net.signer(member)) }

    @Test func aPlanIsDecidedWhenMoreThanTwoThirdsApproveAndTakesEffectAtItsHeight() {
        var schedule = UpgradeSchedule()
        let p = plan()
        #expect(schedule.apply([.propose(.upgrade(p), approval(p, by: 0))], at: 5, committee: net.committee, verifier: verifier)
            == [.proposed(p.id)])
        #expect(schedule.apply([.approve(.upgrade, approval(p, by: 1))], at: 6, committee: net.committee, verifier: verifier)
            == [.approved(p.id, by: net.keys[1].publicKey)])
        #expect(schedule.plan(at: 1_000) == nil, "two of four is not more than two thirds")
        let outcomes = schedule.apply([.approve(.upgrade, approval(p, by: 3))], at: 9, committee: net.committee, verifier: verifier)
        guard case .decided(let decision) = outcomes.first else {
            Issue.record("\(outcomes)")
            return
        }
        #expect(decision.decidedAt == 9 && decision.approvers.count == 3)
        #expect(schedule.plan(at: 39) == nil && schedule.plan(at: 40) == p && schedule.plan(at: 90) == p)
        // A late approval of a decided plan changes nothing.
        #expect(schedule.apply([.approve(.upgrade, approval(p, by: 2))], at: 10, committee: net.committee, verifier: verifier)
            .allSatisfy { if case .ignored = $0 { true } else { false } })
    }

    @Test func replaysForeignApprovalsAndOutsidersCountForNothing() {
        var schedule = UpgradeSchedule()
        let p = plan()
        _ = schedule.apply([.propose(.upgrade(p), approval(p, by: 0))], at: 5, committee: net.committee, verifier: verifier)
        // The proposer approving again, and the same approval replayed.
        let again = schedule.apply([.approve(.upgrade, approval(p, by: 0)), .approve(.upgrade, approval(p, by: 0))], at: 6,
                                   committee: net.committee, verifier: verifier)
        #expect(again.allSatisfy { if case .ignored(let why) = $0 { why.contains("already") } else { false } })
        // Signed for another chain: the digest differs, the signature fails here.
        let other = plan(chain: Bytes32([UInt8](repeating: 9, count: 32))!)
        let foreign = Approval(planID: p.id, signer: net.keys[1].publicKey,
                                      signature: Secp256k1Signer(net.keys[1]).sign(Approval.digest(chainID: other.chainID, planID: p.id)))
        guard case .ignored(let why) = schedule.apply([.approve(.upgrade, foreign)], at: 7, committee: net.committee, verifier: verifier)[0]
        else { Issue.record("a foreign approval counted"); return }
        #expect(why.contains("signature"))
        // A key outside the committee.
        let outsider = Approval.sign(p, with: Secp256k1Signer(PrivateKey.generate()))
        guard case .ignored(let outside) = schedule.apply([.approve(.upgrade, outsider)], at: 7, committee: net.committee, verifier: verifier)[0]
        else { Issue.record("an outsider counted"); return }
        #expect(outside.contains("not a voting member"))
        #expect(schedule.open[p.id]?.approvers.count == 1 && schedule.decided.isEmpty)
    }

    @Test func plansThatCouldNotBePreparedInTimeOrLateApprovalsAreRefused() {
        var schedule = UpgradeSchedule()
        let tight = plan(from: 35, expires: 30)  // less than 10 blocks of lead
        #expect(tight.problem(chainID: chainID)?.contains("at least 10 blocks") == true)
        #expect(plan(chain: Bytes32([UInt8](repeating: 9, count: 32))!).problem(chainID: chainID)?.contains("not this chain") == true)
        #expect(plan(plugin: "../evil").problem(chainID: chainID) != nil)
        guard case .ignored = schedule.apply([.propose(.upgrade(tight), approval(tight, by: 0))], at: 5, committee: net.committee,
                                             verifier: verifier)[0] else { Issue.record("a tight plan was proposed"); return }
        // Past its deadline a plan is gone: approvals then count for nothing.
        let p = plan()
        _ = schedule.apply([.propose(.upgrade(p), approval(p, by: 0)), .approve(.upgrade, approval(p, by: 1))], at: 5, committee: net.committee,
                           verifier: verifier)
        let late = schedule.apply([.approve(.upgrade, approval(p, by: 2))], at: 31, committee: net.committee, verifier: verifier)
        #expect(late.allSatisfy { if case .ignored = $0 { true } else { false } } && schedule.decided.isEmpty)
    }

    @Test func aPlanStartingBeforeADecidedOneIsRefused() {
        var schedule = UpgradeSchedule()
        let first = plan(from: 60, expires: 40)
        let second = plan(from: 50, expires: 40, plugin: "checkpointing")
        for p in [first, second] {
            _ = schedule.apply([.propose(.upgrade(p), approval(p, by: 0)), .approve(.upgrade, approval(p, by: 1)), .approve(.upgrade, approval(p, by: 2))],
                               at: 8, committee: net.committee, verifier: verifier)
        }
        #expect(schedule.decided.map(\.plan) == [first])
    }

    @Test func theScheduleAndHostPayloadsRoundTrip() throws {
        var schedule = UpgradeSchedule()
        let p = plan(), q = plan(from: 80, expires: 60, plugin: "checkpointing")
        _ = schedule.apply([.propose(.upgrade(p), approval(p, by: 0)), .approve(.upgrade, approval(p, by: 1)), .approve(.upgrade, approval(p, by: 2)),
                            .propose(.upgrade(q), approval(q, by: 3))], at: 8, committee: net.committee, verifier: verifier)
        #expect(try UpgradeSchedule.decode(schedule.encoded) == schedule)
        let transactions: [HostTransaction] = [.propose(.upgrade(q), approval(q, by: 3)), .approve(.upgrade, approval(q, by: 1))]
        #expect(try HostPayload.decode(HostPayload.encode(transactions)) == transactions)
        #expect(try HostPayload.encode([]).isEmpty && HostPayload.decode([]).isEmpty)
        var trailing = HostPayload.encode(transactions)
        trailing.append(0)
        #expect(throws: WireDecodingError.self) { try HostPayload.decode(trailing) }
    }
}
