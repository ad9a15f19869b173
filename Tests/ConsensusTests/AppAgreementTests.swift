import BatonCrypto
@testable import Consensus
import Simulation
import BatonTestSupport
import Testing

/// AA-1..AA-3 (see `AppAgreement`): the value type, and a core applying them.
@Suite(.blockingWork) struct AppAgreementTests {
    let x = SHA256Digest.hash(Array("x".utf8))
    let y = SHA256Digest.hash(Array("y".utf8))

    func block(executedHeight: Height, hash: Bytes32, setup: TestCommittee = TestCommittee()) -> Block {
        Block(view: 9, height: executedHeight + 2, parentID: setup.genesis.id, qc: setup.genesisQC, lastViewTC: nil,
              proposer: 1, timestampMs: 1, executedHeight: executedHeight, executedStateHash: hash, payload: [])
    }

    @Test func verdictsFollowTheOwnHashAtTheBlocksExecutedHeight() {
        var aa = AppAgreement(retainedHeights: 8)
        #expect(aa.executed(height: 1, hash: x) == nil)
        #expect(aa.verdict(for: block(executedHeight: 1, hash: x)) == .agrees)
        #expect(aa.verdict(for: block(executedHeight: 0, hash: .zero)) == .agrees)
        guard case .disagrees(let m) = aa.verdict(for: block(executedHeight: 1, hash: y)) else {
            Issue.record("a different hash at an executed height must disagree")
            return
        }
        #expect(m.height == 1 && m.ownHash == x && m.otherHash == y)
        #expect(aa.verdict(for: block(executedHeight: 2, hash: y)) == .notExecutedYet)
    }

    @Test func ownHashesAreKeptForTheWindowAndNoLonger() {
        var aa = AppAgreement(retainedHeights: 8)
        for h in 1...40 as ClosedRange<Height> { _ = aa.executed(height: h, hash: SHA256Digest.hash([UInt8(h)])) }
        #expect(aa.retainedCount <= 16)
        #expect(aa.verdict(for: block(executedHeight: 40, hash: SHA256Digest.hash([40]))) == .agrees)
        #expect(aa.verdict(for: block(executedHeight: 33, hash: SHA256Digest.hash([33]))) == .agrees)
        #expect(aa.verdict(for: block(executedHeight: 3, hash: SHA256Digest.hash([3]))) == .forgotten)
    }

    @Test func aCertifiedHashIsComparedNowOrWhenTheAppGetsThere() {
        var aa = AppAgreement(retainedHeights: 8)
        _ = aa.executed(height: 1, hash: x)
        // Certified at an executed height: compared at once.
        #expect(aa.certified(block(executedHeight: 1, hash: x)) == nil)
        #expect(aa.certified(block(executedHeight: 1, hash: y))?.ownHash == x)
        // Ahead of the app: compared when the app reaches it.
        #expect(aa.certified(block(executedHeight: 3, hash: y)) == nil)
        #expect(aa.certifiedAheadCount == 1)
        #expect(aa.executed(height: 2, hash: x) == nil)
        let divergence = aa.executed(height: 3, hash: x)
        #expect(divergence?.height == 3 && divergence?.ownHash == x && divergence?.otherHash == y)
        #expect(aa.certifiedAheadCount == 0)
    }

    @Test func certifiedHashesAheadAreBounded() {
        var aa = AppAgreement(retainedHeights: 4)
        for h in 1...100 as ClosedRange<Height> { _ = aa.certified(block(executedHeight: h, hash: x)) }
        #expect(aa.certifiedAheadCount == 4)
    }

    @Test func deferredVotesAreBounded() {
        var aa = AppAgreement(retainedHeights: 4, deferredMax: 2)
        let first = aa.deferVote(SHA256Digest.hash([1])), second = aa.deferVote(SHA256Digest.hash([2]))
        let again = aa.deferVote(SHA256Digest.hash([1])), third = aa.deferVote(SHA256Digest.hash([3]))
        #expect(first && second && again && !third)
        let taken = aa.takeDeferred(), left = aa.takeDeferred()
        #expect(taken.count == 2 && left.isEmpty)
    }

    // MARK: - A core

    /// Member 0 of four, in view 1 (led by someone else), given a proposal.
    func core(_ setup: TestCommittee) -> (EventHandler, ValidatorIndex) {
        var me = 0
        while setup.committee.leader(of: 1) == ValidatorIndex(me) { me += 1 }
        var core = EventHandler(committee: setup.committee, genesis: setup.genesis, signer: setup.signer(me),
                                verifier: setup.verifier())
        _ = core.handle(.start(nowMs: 0))
        return (core, ValidatorIndex(me))
    }

    func proposal(_ setup: TestCommittee, view: View, height: Height, parent: Block, qc: QuorumCertificate,
                  executedHeight: Height, hash: Bytes32) -> Proposal {
        let block = Block(view: view, height: height, parentID: parent.id, qc: qc, lastViewTC: nil,
                          proposer: setup.committee.leader(of: view), timestampMs: view, executedHeight: executedHeight,
                          executedStateHash: hash, payload: [])
        return setup.proposal(block)
    }

    static func votes(_ effects: [Effect]) -> [Vote] {
        effects.compactMap { effect -> Vote? in
            switch effect {
            case .send(.vote(let v), _): v
            case .broadcast(.vote(let v)): v
            default: nil
            }
        }
    }

    @Test func noVoteForAProposalCarryingAnotherExecutedStateHash() {
        let setup = TestCommittee()
        var (node, _) = core(setup)
        let p = proposal(setup, view: 1, height: 1, parent: setup.genesis, qc: setup.genesisQC, executedHeight: 0, hash: x)
        _ = node.handle(.proposal(p, nowMs: 1))
        let effects = node.handle(.payloadValidated(blockID: p.block.id, valid: true, nowMs: 2))
        #expect(Self.votes(effects).isEmpty)
        #expect(effects.contains { if case .dropped(.appStateDisagrees(let m)) = $0 { m.otherHash == x && m.ownHash == .zero } else { false } })
        // The same block with the right hash gets the vote.
        var (other, _) = core(setup)
        let good = proposal(setup, view: 1, height: 1, parent: setup.genesis, qc: setup.genesisQC, executedHeight: 0, hash: .zero)
        _ = other.handle(.proposal(good, nowMs: 1))
        #expect(Self.votes(other.handle(.payloadValidated(blockID: good.block.id, valid: true, nowMs: 2))).count == 1)
    }

    /// Genesis ← b1 (view 1) ← b2 (view 2), handed to `node`: b2 certifies
    /// b1 and claims state x after height 1, which the node's app has not reached.
    func waitingForHeightOne(_ node: inout EventHandler, _ setup: TestCommittee) -> (Proposal, Proposal) {
        let b1 = proposal(setup, view: 1, height: 1, parent: setup.genesis, qc: setup.genesisQC, executedHeight: 0, hash: .zero)
        _ = node.handle(.proposal(b1, nowMs: 1))
        let b2 = proposal(setup, view: 2, height: 2, parent: b1.block, qc: setup.qc(view: 1, block: b1.block.id),
                          executedHeight: 1, hash: x)
        _ = node.handle(.proposal(b2, nowMs: 2))
        return (b1, b2)
    }

    @Test func aVoteWaitsForTheAppToReachTheExecutedHeightThenChecksIt() {
        let setup = TestCommittee()
        for (reached, expectVote) in [(x, true), (y, false)] {
            var (node, _) = core(setup)
            let (_, b2) = waitingForHeightOne(&node, setup)
            #expect(node.currentView == 2)
            #expect(Self.votes(node.handle(.payloadValidated(blockID: b2.block.id, valid: true, nowMs: 3))).isEmpty,
                    "the app has not executed height 1: the vote waits")
            let effects = node.handle(.stateExecuted(height: 1, stateHash: reached))
            #expect(Self.votes(effects).count == (expectVote ? 1 : 0))
            if !expectVote { #expect(effects.contains { if case .dropped(.appStateDisagrees) = $0 { true } else { false } }) }
        }
    }

    @Test func aDeferredVoteDiesWithItsView() {
        let setup = TestCommittee()
        var (node, _) = core(setup)
        let (b1, b2) = waitingForHeightOne(&node, setup)
        _ = node.handle(.payloadValidated(blockID: b2.block.id, valid: true, nowMs: 3))
        // View 3 begins (a QC for b2 arrives) before the app gets to height 1.
        _ = node.handle(.vote(setup.vote(0, view: 99, block: b2.block.id), nowMs: 4))
        let tc = setup.tc(view: 2, highQC: setup.qc(view: 1, block: b1.block.id))
        _ = node.handle(.timeout(setup.timeout(1, view: 3, highQC: setup.qc(view: 1, block: b1.block.id), tc: tc), nowMs: 5))
        #expect(node.currentView >= 3)
        #expect(Self.votes(node.handle(.stateExecuted(height: 1, stateHash: x))).isEmpty)
    }

    @Test func aNodeWhoseAppDisagreesWithACertifiedHashHalts() {
        let setup = TestCommittee()
        var (node, _) = core(setup)
        // b1 claims state x at height 0 (ours: zero); b2's QC certifies b1.
        let b1 = proposal(setup, view: 1, height: 1, parent: setup.genesis, qc: setup.genesisQC, executedHeight: 0, hash: x)
        _ = node.handle(.proposal(b1, nowMs: 1))
        let b2 = proposal(setup, view: 2, height: 2, parent: b1.block, qc: setup.qc(view: 1, block: b1.block.id),
                          executedHeight: 0, hash: x)
        let effects = node.handle(.proposal(b2, nowMs: 2))
        let halt = effects.compactMap { if case .halt(.appDiverged(let m)) = $0 { m } else { nil } }.first
        #expect(halt?.height == 0 && halt?.ownHash == .zero && halt?.otherHash == x)
        #expect("\(HaltReason.appDiverged(halt!))".contains("diverged at height 0"))
    }

    @Test func aProposalClaimingToHaveExecutedItsOwnHeightIsInvalid() {
        let setup = TestCommittee()
        let bad = proposal(setup, view: 1, height: 1, parent: setup.genesis, qc: setup.genesisQC, executedHeight: 1, hash: x)
        #expect(throws: ValidationError.executedHeightNotBelow(1, executedHeight: 1, height: 1)) {
            try setup.validator().validate(bad)
        }
    }
}
