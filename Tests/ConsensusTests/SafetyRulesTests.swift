import BatonCrypto
@testable import Consensus
import Simulation
import BatonTestSupport
import Testing

@Suite(.blockingWork) struct SafetyRulesTests {
    let t = TestCommittee()
    var b1: Block { t.block(view: 1, height: 1, parent: t.genesis, qc: t.genesisQC) }

    func rules(_ data: SafetyData = SafetyData()) -> SafetyRules {
        SafetyRules(data: data, signer: t.signer(0), index: 0, chainID: t.committee.chainID)
    }

    func refusal(_ body: () throws -> Void) -> SafetyRules.Refusal? {
        do { try body(); return nil } catch { return error as? SafetyRules.Refusal }
    }

    @Test func votesOncePerViewAndRecordsIt() throws {
        var r = rules()
        let vote = try r.vote(for: b1, currentView: 1)
        #expect(vote.view == 1 && vote.signer == 0)
        #expect(r.data.highestVotedView == 1)
        #expect(refusal { _ = try r.vote(for: b1, currentView: 1) } == .alreadyVoted(1, highestVoted: 1))
    }

    @Test func refusesABlockOutsideTheCurrentView() {
        var r = rules()
        #expect(refusal { _ = try r.vote(for: b1, currentView: 2) } == .notCurrentView(blockView: 1, currentView: 2))
    }

    @Test func neverVotesAfterTimingOutInTheView() throws {
        var r = rules()
        _ = try r.timeout(view: 1, highQC: t.genesisQC, lastViewTC: nil)
        #expect(refusal { _ = try r.vote(for: b1, currentView: 1) } == .timedOutInView(1))
    }

    @Test func refusesTimeoutWithoutTCWhenQCIsOld() {
        // Voting rule: a block of view 3 on a QC of view 1 needs a TC for view 2.
        var r = rules()
        let qc1 = t.qc(view: 1, block: b1.id)
        let noTC = t.block(view: 3, height: 2, parent: b1, qc: qc1)
        #expect(refusal { _ = try r.vote(for: noTC, currentView: 3) } == .votingRuleViolated(3, qcView: 1))
    }

    @Test func refusesQCOlderThanTheTCsHighestQC() throws {
        var r = rules()
        let qc1 = t.qc(view: 1, block: b1.id)
        let b2 = t.block(view: 2, height: 2, parent: b1, qc: qc1)
        let tcWithNewerQC = t.tc(view: 3, highQC: t.qc(view: 2, block: b2.id))
        let stale = t.block(view: 4, height: 2, parent: b1, qc: qc1, tc: tcWithNewerQC)
        #expect(refusal { _ = try r.vote(for: stale, currentView: 4) } == .votingRuleViolated(4, qcView: 1))
        let fine = t.block(view: 4, height: 3, parent: b2, qc: t.qc(view: 2, block: b2.id), tc: tcWithNewerQC)
        #expect(try r.vote(for: fine, currentView: 4).view == 4)
    }

    @Test func timeoutCarriesTCOnlyWhenQCIsNotFromPreviousView() throws {
        var r = rules()
        let qc1 = t.qc(view: 1, block: b1.id)
        let tc2 = t.tc(view: 2, highQC: qc1)
        let t2 = try r.timeout(view: 2, highQC: qc1, lastViewTC: nil)
        #expect(t2.lastViewTC == nil)
        let t3 = try r.timeout(view: 3, highQC: qc1, lastViewTC: tc2)
        #expect(t3.lastViewTC == tc2)
        try t.validator().validate(t3)
    }

    @Test func timeoutIsSignedOncePerViewAndReused() throws {
        var r = rules()
        let first = try r.timeout(view: 1, highQC: t.genesisQC, lastViewTC: nil)
        let again = try r.timeout(view: 1, highQC: t.genesisQC, lastViewTC: nil)
        #expect(first == again)
        #expect(r.data.highestTimeoutView == 1 && r.data.lastTimeout == first)
    }

    @Test func refusesToTimeOutInAViewBelowItsVotes() {
        var r = rules(SafetyData(highestVotedView: 5))
        #expect(refusal { _ = try r.timeout(view: 4, highQC: t.genesisQC, lastViewTC: nil) } ==
                .staleTimeout(4, highestVoted: 5))
    }

    @Test func followersNeverSign() {
        var r = SafetyRules(data: SafetyData(), signer: t.signer(0), index: nil, chainID: t.committee.chainID)
        #expect(refusal { _ = try r.vote(for: b1, currentView: 1) } == .notAVoter)
    }
}
