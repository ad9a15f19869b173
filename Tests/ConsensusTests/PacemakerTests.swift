import BatonCrypto
@testable import Consensus
import Simulation
import BatonTestSupport
import Testing

@Suite(.blockingWork) struct PacemakerTests {
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

    @Test func backoffToleratesKFailuresThenGrowsToTheCapAndOneQCResetsIt() {
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
        // PM-1: one QC ends the run; the next failure starts a new one at the base.
        _ = p.process(t.qc(view: 7, block: SHA256Digest.hash([7])))
        #expect(p.failures == 0)
        #expect(p.timeoutMs == 1_000)
        _ = p.process(t.tc(view: 8, highQC: t.qc(view: 7, block: SHA256Digest.hash([7]))))
        #expect(p.failures == 1 && p.timeoutMs == 1_000)
        // A QC that does not enter a new view (an old one) is no proof of progress.
        _ = p.process(t.qc(view: 5, block: SHA256Digest.hash([5])))
        #expect(p.failures == 1)
    }

    @Test func configProblemsAreNamed() {
        var c = Pacemaker.Config()
        c.idleBlockIntervalMs = c.timeoutMsBase / 2
        #expect(c.problem()?.contains("idle block interval") == true)
    }
}
