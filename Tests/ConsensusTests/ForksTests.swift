import BatonCrypto
@testable import Consensus
import Simulation
import BatonTestSupport
import Testing

@Suite(.blockingWork) struct ForksTests {
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
