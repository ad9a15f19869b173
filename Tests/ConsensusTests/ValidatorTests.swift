import BatonCrypto
@testable import Consensus
import Simulation
import BatonTestSupport
import Testing

@Suite(.blockingWork) struct ValidatorTests {
    let t = TestCommittee()
    var b1: Block { t.block(view: 1, height: 1, parent: t.genesis, qc: t.genesisQC) }

    func rejection(_ body: () throws -> Void) -> ValidationError? {
        do { try body(); return nil } catch { return error as? ValidationError }
    }

    @Test func validQCAndGenesisQCPass() throws {
        let v = t.validator()
        try v.validate(t.genesisQC)
        try v.validate(t.qc(view: 1, block: b1.id))
        try v.validate(t.qc(view: 1, block: b1.id, signers: [0, 1, 3]))
    }

    @Test func qcRulesEachRefusedOnItsOwn() {
        let v = t.validator()
        let good = t.qc(view: 1, block: b1.id)
        #expect(rejection { try v.validate(t.qc(view: 1, block: b1.id, signers: [0, 1])) } ==
                .insufficientWeight(1, weight: 2, needed: "> 2/3 of 4"))
        let forged = QuorumCertificate(view: 1, blockID: b1.id, signers: good.signers,
                                       signatures: [good.signatures[1]] + good.signatures.dropFirst())
        #expect(rejection { try v.validate(forged) } == .badSignature(1, signer: 0))
        let short = QuorumCertificate(view: 1, blockID: b1.id, signers: good.signers, signatures: Array(good.signatures.dropLast()))
        #expect(rejection { try v.validate(short) } == .signatureCountMismatch(signers: 4, signatures: 3))
        let wide = QuorumCertificate(view: 1, blockID: b1.id, signers: SignerSet(capacity: 9, members: [0, 1, 2, 3]),
                                     signatures: good.signatures)
        #expect(rejection { try v.validate(wide) } == .signerSetSize(expected: 4, got: 9))
        #expect(rejection { try v.validate(QuorumCertificate.genesis(b1.id)) } == .invalidGenesisQC)
        // A QC for another block in the same view does not verify.
        let moved = QuorumCertificate(view: 1, blockID: t.genesis.id, signers: good.signers, signatures: good.signatures)
        #expect(rejection { try v.validate(moved) } == .badSignature(1, signer: 0))
    }

    @Test func tcRulesEachRefusedOnItsOwn() throws {
        let v = t.validator()
        let qc1 = t.qc(view: 1, block: b1.id)
        try v.validate(t.tc(view: 3, highQC: qc1))
        #expect(rejection { try v.validate(t.tc(view: 3, highQC: qc1, signers: [2, 3])) } != nil)
        let good = t.tc(view: 3, highQC: qc1)
        let notHighest = TimeoutCertificate(view: 3, highQC: t.genesisQC, signers: good.signers,
                                            highQCViews: good.highQCViews, signatures: good.signatures)
        #expect(rejection { try v.validate(notHighest) } == .tcHighQCNotHighest(3, highQC: 0, maxSigned: 1))
        let sameView = t.tc(view: 1, highQC: qc1)
        #expect(rejection { try v.validate(sameView) } == .tcHighQCNotBeforeView(1, highQC: 1))
        let lying = TimeoutCertificate(view: 3, highQC: qc1, signers: good.signers, highQCViews: [1, 1, 1, 2].map { View($0) },
                                       signatures: good.signatures)
        #expect(rejection { try v.validate(lying) } == .tcHighQCNotHighest(3, highQC: 1, maxSigned: 2))
        let mismatch = TimeoutCertificate(view: 3, highQC: qc1, signers: good.signers, highQCViews: [1, 1],
                                          signatures: good.signatures)
        #expect(rejection { try v.validate(mismatch) } == .tcHighQCViewsMismatch(3))
    }

    @Test func proposalRulesEachRefusedOnItsOwn() throws {
        let v = t.validator()
        try v.validate(t.proposal(b1))
        // Wrong proposer.
        let other = ValidatorIndex((Int(t.committee.leader(of: 1)) + 1) % 4)
        let usurper = t.block(view: 1, height: 1, parent: t.genesis, qc: t.genesisQC, proposer: other)
        #expect(rejection { try v.validate(t.proposal(usurper)) } == .notLeader(1, expected: t.committee.leader(of: 1), got: other))
        // Signature by someone else.
        let badSig = Proposal(block: b1, signature: t.vote(Int(other), view: 1, block: b1.id).signature)
        #expect(rejection { try v.validate(badSig) } == .badProposerSignature(1, proposer: b1.proposer))
        // QC for a block other than the parent.
        let qc1 = t.qc(view: 1, block: b1.id)
        let wrongParent = Block(view: 2, height: 2, parentID: t.genesis.id, qc: qc1, lastViewTC: nil,
                                proposer: t.committee.leader(of: 2), timestampMs: 0, executedHeight: 0,
                                executedStateHash: .zero, payload: [])
        #expect(rejection { try v.validate(t.proposal(wrongParent)) } == .qcNotForParent(2))
        // Gap without TC.
        let gap = t.block(view: 3, height: 2, parent: b1, qc: qc1)
        #expect(rejection { try v.validate(t.proposal(gap)) } == .missingTC(3, qcView: 1))
        // TC when the QC is from view-1.
        let unneeded = t.block(view: 2, height: 2, parent: b1, qc: qc1, tc: t.tc(view: 1, highQC: t.genesisQC))
        #expect(rejection { try v.validate(t.proposal(unneeded)) } == .unneededTC(2))
        // TC for the wrong view.
        let wrongTC = t.block(view: 4, height: 2, parent: b1, qc: qc1, tc: t.tc(view: 2, highQC: qc1))
        #expect(rejection { try v.validate(t.proposal(wrongTC)) } == .tcWrongView(4, tcView: 2))
        // QC older than the TC's highest QC.
        let b2 = t.block(view: 2, height: 2, parent: b1, qc: qc1)
        let qc2 = t.qc(view: 2, block: b2.id)
        let stale = t.block(view: 4, height: 2, parent: b1, qc: qc1, tc: t.tc(view: 3, highQC: qc2))
        #expect(rejection { try v.validate(t.proposal(stale)) } == .qcOlderThanTCHighQC(4, qcView: 1, tcHighQCView: 2))
        // With a proper TC it passes.
        try v.validate(t.proposal(t.block(view: 4, height: 3, parent: b2, qc: qc2, tc: t.tc(view: 3, highQC: qc2))))
    }

    @Test func voteAndTimeoutRules() throws {
        let v = t.validator()
        try v.validate(t.vote(1, view: 1, block: b1.id))
        let stranger = Vote(view: 1, blockID: b1.id, signer: 9, signature: t.vote(1, view: 1, block: b1.id).signature)
        #expect(rejection { try v.validate(stranger) } == .notAVoter(9))
        let forged = Vote(view: 1, blockID: b1.id, signer: 2, signature: t.vote(1, view: 1, block: b1.id).signature)
        #expect(rejection { try v.validate(forged) } == .badSignature(1, signer: 2))

        let qc1 = t.qc(view: 1, block: b1.id)
        try v.validate(t.timeout(0, view: 2, highQC: qc1))
        try v.validate(t.timeout(0, view: 3, highQC: qc1, tc: t.tc(view: 2, highQC: qc1)))
        #expect(rejection { try v.validate(t.timeout(0, view: 3, highQC: qc1)) } == .timeoutMissingTC(3, qcView: 1))
        #expect(rejection { try v.validate(t.timeout(0, view: 2, highQC: qc1, tc: t.tc(view: 1, highQC: t.genesisQC))) } ==
                .timeoutUnneededTC(2))
        // A timeout's signature covers its QC view: claiming another QC breaks it.
        let honest = t.timeout(0, view: 2, highQC: qc1)
        let swapped = TimeoutObject(view: 2, highQC: t.genesisQC, lastViewTC: t.tc(view: 1, highQC: t.genesisQC),
                                    signer: 0, signature: honest.signature)
        #expect(rejection { try v.validate(swapped) } == .badSignature(2, signer: 0))
    }
}
