import BatonCrypto
@testable import Consensus
import Simulation
import Testing

@Suite struct ForksTests {
    let t = TestCommittee()

    func finalizedBlocks(_ progress: [Forks.Progress]) -> [Block] {
        progress.flatMap { step -> [Block] in if case .finalized(let f) = step { f.blocks } else { [] } }
    }

    @Test func twoChainFinalizesTheParentOfACertifiedConsecutiveChild() throws {
        var forks = Forks(root: t.genesis)
        let b1 = t.block(view: 1, height: 1, parent: t.genesis, qc: t.genesisQC)
        let b2 = t.block(view: 2, height: 2, parent: b1)
        #expect(try forks.add(b1).isEmpty)
        #expect(try forks.add(b2).isEmpty)  // certifies b1; b1 has no certified consecutive child yet
        let progress = forks.add(t.qc(view: 2, block: b2.id))  // b2 certified, b2.view == b1.view + 1
        #expect(finalizedBlocks(progress) == [b1])
        #expect(forks.finalized == b1)
    }

    @Test func nonConsecutiveViewsDoNotFinalize() throws {
        var forks = Forks(root: t.genesis)
        let b1 = t.block(view: 1, height: 1, parent: t.genesis, qc: t.genesisQC)
        let b3 = t.block(view: 3, height: 2, parent: b1, tc: t.tc(view: 2, highQC: t.qc(view: 1, block: b1.id)))
        _ = try forks.add(b1)
        _ = try forks.add(b3)
        #expect(forks.add(t.qc(view: 3, block: b3.id)).isEmpty)
        #expect(forks.finalized == t.genesis)
        // b4 on b3 with a QC for b4 finalizes b3 and b1, in order, once.
        let b4 = t.block(view: 4, height: 3, parent: b3)
        _ = try forks.add(b4)
        #expect(finalizedBlocks(forks.add(t.qc(view: 4, block: b4.id))) == [b1, b3])
        #expect(finalizedBlocks(forks.add(t.qc(view: 4, block: b4.id))).isEmpty)
    }

    @Test func aQCArrivingBeforeItsBlockCountsWhenTheBlockArrives() throws {
        var forks = Forks(root: t.genesis)
        let b1 = t.block(view: 1, height: 1, parent: t.genesis, qc: t.genesisQC)
        let b2 = t.block(view: 2, height: 2, parent: b1)
        _ = try forks.add(b1)
        #expect(forks.add(t.qc(view: 2, block: b2.id)).isEmpty)
        #expect(finalizedBlocks(try forks.add(b2)) == [b1])
    }

    @Test func refusesBlocksThatCannotConnect() throws {
        var forks = Forks(root: t.genesis)
        let b1 = t.block(view: 1, height: 1, parent: t.genesis, qc: t.genesisQC)
        let b2 = t.block(view: 2, height: 2, parent: b1)
        #expect(throws: Forks.AddError.missingParent(b1.id, parentView: 1)) { try forks.add(b2) }
        _ = try forks.add(b1)
        let wrongHeight = t.block(view: 2, height: 5, parent: b1)
        #expect(throws: Forks.AddError.heightMismatch(2, expected: 2, got: 5)) { try forks.add(wrongHeight) }
        #expect(throws: Forks.AddError.belowFinalized(0)) { try forks.add(t.genesis) }
    }

    @Test func refusesToFinalizeAConflictingBranchAndReportsASafetyFault() throws {
        var forks = Forks(root: t.genesis)
        let a = t.block(view: 1, height: 1, parent: t.genesis, qc: t.genesisQC)
        let b = t.block(view: 2, height: 2, parent: a)
        let x = t.block(view: 4, height: 2, parent: a, tc: t.tc(view: 3, highQC: t.qc(view: 1, block: a.id)))
        for block in [a, b, x] { _ = try forks.add(block) }
        // Finalize b: c (view 3) certified by d's QC.
        let c = t.block(view: 3, height: 3, parent: b)
        let d = t.block(view: 5, height: 4, parent: c, tc: t.tc(view: 4, highQC: t.qc(view: 3, block: c.id)))
        _ = try forks.add(c)
        _ = try forks.add(d)
        #expect(forks.finalized == b)
        // On the other branch, y (view 5) certified with consecutive parent x (view 4): x conflicts with b.
        let y = t.block(view: 5, height: 3, parent: x)
        _ = try forks.add(y)
        let progress = forks.add(t.qc(view: 5, block: y.id))
        guard case .safetyFault = progress.first else {
            Issue.record("conflicting finalization not reported: \(progress)")
            return
        }
        #expect(forks.finalized == b)
    }

    @Test func finalizationPrunesTheTree() throws {
        var forks = Forks(root: t.genesis)
        var parent = t.genesis
        var qc = t.genesisQC
        for view in 1...20 as ClosedRange<View> {
            let block = t.block(view: view, height: view, parent: parent, qc: qc)
            _ = try forks.add(block)
            parent = block
            qc = t.qc(view: view, block: block.id)
        }
        #expect(forks.finalized.view == 18)
        #expect(forks.count <= 3)
        #expect(forks.pendingChain(to: parent.id).map(\.view) == [19, 20])
    }
}

@Suite struct CollectorTests {
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

@Suite struct PacemakerTests {
    let t = TestCommittee()

    @Test func entersOnlyOnCertificatesAndSkipsAhead() {
        var p = Pacemaker(config: .init(), currentView: 1, highestQC: t.genesisQC, lastViewTC: nil)
        #expect(p.process(t.genesisQC) == nil)
        #expect(p.process(t.qc(view: 1, block: SHA256Digest.hash([1]))) == 2)
        // A QC far ahead jumps straight past it.
        #expect(p.process(t.qc(view: 9, block: SHA256Digest.hash([9]))) == 10)
        #expect(p.process(t.qc(view: 4, block: SHA256Digest.hash([4]))) == nil)
        #expect(p.highestQC.view == 9)
        let tc = t.tc(view: 10, highQC: p.highestQC)
        #expect(p.process(tc) == 11)
        #expect(p.lastViewTC == tc)
    }

    @Test func backoffToleratesKFailuresThenGrowsToTheCapAndShrinksOnProgress() {
        var config = Pacemaker.Config()
        config.timeoutMsBase = 1_000
        config.timeoutMsMax = 5_000
        config.backoffPermille = 2_000
        config.toleratedFailures = 2
        var p = Pacemaker(config: config, currentView: 1, highestQC: t.genesisQC, lastViewTC: nil)
        var durations: [UInt64] = []
        for view in 1...6 as ClosedRange<View> {
            _ = p.process(t.tc(view: view, highQC: t.genesisQC))
            durations.append(p.timeoutMs)
        }
        #expect(durations == [1_000, 1_000, 2_000, 4_000, 5_000, 5_000])
        _ = p.process(t.qc(view: 7, block: SHA256Digest.hash([7])))
        #expect(p.failures == 5)
        #expect(p.timeoutMs == 5_000)
        for view in 8...10 as ClosedRange<View> { _ = p.process(t.qc(view: view, block: SHA256Digest.hash([UInt8(view)]))) }
        #expect(p.timeoutMs == 1_000)
    }

    @Test func configProblemsAreNamed() {
        var c = Pacemaker.Config()
        c.idleBlockIntervalMs = c.timeoutMsBase / 2
        #expect(c.problem()?.contains("idle block interval") == true)
    }
}
