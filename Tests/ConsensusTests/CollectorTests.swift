import BatonCrypto
@testable import Consensus
import Simulation
import BatonTestSupport
import Testing

@Suite(.blockingWork) struct CollectorTests {
    let t = TestCommittee()

    @Test func voteCollectorBuildsTheQCOnceAndVerifiesEachVoteOnce() {
        let verifier = CountingVerifier()
        let validator = t.validator(verifier)
        var collector = VoteCollector(view: 1)
        let block = SHA256Digest.hash([1])
        let verify: (Vote) throws(ValidationError) -> Void = { (v: Vote) throws(ValidationError) in try validator.validate(v) }
        #expect(collector.add(t.vote(0, view: 1, block: block), committee: t.committee, verify: verify) == .added)
        #expect(collector.add(t.vote(0, view: 1, block: block), committee: t.committee, verify: verify) == .duplicate)
        #expect(verifier.count == 1)
        #expect(collector.add(t.vote(1, view: 1, block: block), committee: t.committee, verify: verify) == .added)
        guard case .certified(let qc) = collector.add(t.vote(2, view: 1, block: block), committee: t.committee, verify: verify) else {
            Issue.record("no QC at 3 of 4")
            return
        }
        #expect(qc.signers.count == 3)
        #expect(throws: Never.self) { try validator.validate(qc) }
        #expect(collector.add(t.vote(3, view: 1, block: block), committee: t.committee, verify: verify) == .added)
    }

    @Test func doubleVoteIsEvidenceAndDoesNotCount() {
        var collector = VoteCollector(view: 1)
        let a = SHA256Digest.hash([1]), b = SHA256Digest.hash([2])
        _ = collector.add(t.vote(0, view: 1, block: a), committee: t.committee, verify: nil)
        let outcome = collector.add(t.vote(0, view: 1, block: b), committee: t.committee, verify: nil)
        #expect(outcome == .equivocation(.doubleVote(t.vote(0, view: 1, block: a), t.vote(0, view: 1, block: b))))
        #expect(collector.evidence.count == 1)
        _ = collector.add(t.vote(1, view: 1, block: b), committee: t.committee, verify: nil)
        #expect(collector.add(t.vote(2, view: 1, block: b), committee: t.committee, verify: nil) == .added)  // only 2 for b
    }

    @Test func invalidVoteIsRefused() {
        var collector = VoteCollector(view: 1)
        let validator = t.validator()
        let block = SHA256Digest.hash([1])
        let forged = Vote(view: 1, blockID: block, signer: 2, signature: t.vote(1, view: 1, block: block).signature)
        let outcome = collector.add(forged, committee: t.committee, verify: { (v: Vote) throws(ValidationError) in try validator.validate(v) })
        #expect(outcome == .invalid(.badSignature(1, signer: 2)))
        #expect(collector.voteCount == 0)
    }

    @Test func timeoutCollectorReportsPartialThenBuildsTheTCWithTheHighestQC() throws {
        var collector = TimeoutCollector(view: 5)
        let qc2 = t.qc(view: 2, block: SHA256Digest.hash([2]))
        let qc3 = t.qc(view: 3, block: SHA256Digest.hash([3]))
        let tc4 = t.tc(view: 4, highQC: qc3)
        #expect(collector.add(t.timeout(0, view: 5, highQC: qc2, tc: tc4), committee: t.committee, verify: nil) == .added)
        #expect(collector.add(t.timeout(1, view: 5, highQC: qc3, tc: tc4), committee: t.committee, verify: nil) == .partial)
        #expect(collector.add(t.timeout(1, view: 5, highQC: qc3, tc: tc4), committee: t.committee, verify: nil) == .duplicate)
        guard case .certified(let tc) = collector.add(t.timeout(3, view: 5, highQC: qc2, tc: tc4), committee: t.committee, verify: nil) else {
            Issue.record("no TC")
            return
        }
        #expect(tc.highQC == qc3)
        #expect(tc.highQCViews == [2, 3, 2])
        try t.validator().validate(tc)
    }
}

@Suite(.blockingWork) struct DoubleTimeoutTests {
    /// Two validly signed timeouts of one member for one view, with different
    /// highest QCs, are evidence — reported once; a repeat of the first is not.
    @Test func aSecondDifferentTimeoutInOneViewIsEvidenceOnce() {
        let setup = TestCommittee()
        var core = EventHandler(committee: setup.committee, genesis: setup.genesis, signer: setup.signer(0),
                                verifier: setup.verifier())
        _ = core.handle(.start(nowMs: 0))
        let b1 = setup.block(view: 1, height: 1, parent: setup.genesis)
        _ = core.handle(.proposal(setup.proposal(b1), nowMs: 1))
        // View 2: one timeout on the QC of view 1, another on genesis's (with the TC that then must come along).
        let first = setup.timeout(2, view: 2, highQC: setup.qc(view: 1, block: b1.id))
        let second = setup.timeout(2, view: 2, highQC: setup.genesisQC, tc: setup.tc(view: 1, highQC: setup.genesisQC))
        func evidence(_ effects: [Effect]) -> [Evidence] {
            effects.compactMap { if case .evidence(let e) = $0 { e } else { nil } }
        }
        #expect(evidence(core.handle(.timeout(first, nowMs: 2))).isEmpty)
        #expect(evidence(core.handle(.timeout(first, nowMs: 3))).isEmpty, "a repeat is no proof")
        let proofs = evidence(core.handle(.timeout(second, nowMs: 4)))
        #expect(proofs == [.doubleTimeout(first, second)])
        #expect(proofs.first?.offender == 2 && proofs.first?.kind == "doubleTimeout")
        #expect(evidence(core.handle(.timeout(second, nowMs: 5))).isEmpty, "reported once")
    }
}
