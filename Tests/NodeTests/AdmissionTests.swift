import BatonCrypto
import Consensus
import Governance
@testable import Node
import Simulation
import Testing

/// `Admission` alone: the node's intake rules as a value, without a node.
@Suite struct AdmissionTests {
    let tx = Array("k=v".utf8)
    var hash: Bytes32 { SHA256Digest.hash(tx) }

    func noHostProblem(_: [UInt8]) -> String? { nil }

    @Test func screeningSendsNewTransactionsToBeJudgedAndDecidesTheRest() {
        var admission = Admission(limits: Mempool.Limits())
        let oversize = [UInt8](repeating: 1, count: WireLimits.standard.transactionBytesMax + 1)
        let first = admission.screen([tx, oversize], nowMs: 1, finalizedHeight: 0, hostProblem: noHostProblem)
        guard case .judge(let judged) = first.answers[0], case .decided(.rejected(let why)) = first.answers[1] else {
            Issue.record("\(first.answers)"); return
        }
        #expect(judged == hash && why.contains("exceeds"))
        #expect(first.toGossip.isEmpty && !first.filled, "nothing is added before check_tx")

        // Accepted by check_tx: added once, gossiped, and the empty mempool is filled (a leader is woken).
        let admitted = admission.admit([(tx, hash, .accept)], nowMs: 2, finalizedHeight: 0)
        #expect(admitted.answers == [.accepted(hash)] && admitted.toGossip == [tx] && admitted.filled)
        #expect(admission.screen([tx], nowMs: 3, finalizedHeight: 0, hostProblem: noHostProblem).answers.count == 1)
        if case .decided(.duplicate(let again)) = admission.screen([tx], nowMs: 3, finalizedHeight: 0, hostProblem: noHostProblem).answers[0] {
            #expect(again == hash)
        } else { Issue.record("a transaction in the mempool was not a duplicate") }

        // Committed: out of the mempool, refused as committed before and after check_tx.
        #expect(admission.committed([hash], height: 7, nowMs: 4).count == 1 && admission.mempool.count == 0)
        guard case .decided(.alreadyCommitted(_, let height)) = admission.screen([tx], nowMs: 5, finalizedHeight: 7,
                                                                                hostProblem: noHostProblem).answers[0] else {
            Issue.record("a committed transaction was not refused"); return
        }
        #expect(height == 7)
        #expect(admission.admit([(tx, hash, .accept)], nowMs: 6, finalizedHeight: 7).answers == [.alreadyCommitted(hash, height: 7)])
    }

    @Test func verdictsOtherThanAcceptAddNothing() {
        var admission = Admission(limits: Mempool.Limits())
        let taken = admission.admit([(tx, hash, .reject("no")), (tx, hash, .failed("crashed")), (tx, hash, .overBudget("slow"))],
                                    nowMs: 1, finalizedHeight: 0)
        #expect(taken.answers == [.rejected("no"), .failed("crashed"), .unavailable("slow")])
        #expect(taken.toGossip.isEmpty && !taken.filled && admission.mempool.count == 0)
    }

    @Test func hostTransactionsAreJudgedByTheHostAndAddedAtOnce() {
        let net = SimulatedCommittee(n: 4, realCrypto: true, seed: 3)
        let plan = UpgradePlan(chainID: net.committee.chainID, fromHeight: 60, expiresAtHeight: 40, plugin: "robot",
                               pluginVersion: "2.0.0", sha256: SHA256Digest.hash([1]))
        let submission = HostTransaction.propose(.upgrade(plan), Approval.sign(plan, with: net.signer(0))).submission
        var admission = Admission(limits: Mempool.Limits())
        let refused = admission.screen([submission], nowMs: 1, finalizedHeight: 0) { _ in "late" }
        guard case .decided(.rejected("late")) = refused.answers[0] else { Issue.record("\(refused.answers)"); return }
        let taken = admission.screen([submission], nowMs: 1, finalizedHeight: 0, hostProblem: noHostProblem)
        guard case .decided(.accepted) = taken.answers[0] else { Issue.record("\(taken.answers)"); return }
        #expect(taken.toGossip == [submission] && taken.filled && admission.mempool.count == 1)
    }
    /// A block's transactions are hashed only where this node does not hold
    /// the very bytes: a held copy's hash is the one this node computed at
    /// admission; anything else — a transaction it lacks, or different bytes
    /// under a held hash (a proposer's lie) — is hashed.
    @Test func blockTransactionsAreHashedOnlyWhereTheMempoolDoesNotHoldTheSameBytes() {
        var mempool = Mempool()
        let held = Array("held=1".utf8), other = Array("other=2".utf8), forged = Array("held=2".utf8)
        _ = mempool.add(held, nowMs: 1)
        let heldHash = SHA256Digest.hash(held)
        #expect(BlockTransactions.hashes(of: [held, other], expected: [heldHash, .zero], mempool: mempool)
            == [heldHash, SHA256Digest.hash(other)])
        // Claimed as the held transaction's hash, with other bytes: hashed, so the list check fails.
        #expect(BlockTransactions.hashes(of: [forged], expected: [heldHash], mempool: mempool) == [SHA256Digest.hash(forged)])
        // The held bytes at a position whose claim is another hash: hashed, not taken from the claim.
        #expect(BlockTransactions.hashes(of: [other, held], expected: [heldHash, .zero], mempool: mempool)
            == [SHA256Digest.hash(other), heldHash])
        // Fewer claims than transactions, or none: the rest are hashed.
        #expect(BlockTransactions.hashes(of: [held, held], expected: [heldHash], mempool: mempool) == [heldHash, heldHash])
        #expect(BlockTransactions.hashes(of: [held], expected: [], mempool: mempool) == [heldHash])
    }
}
