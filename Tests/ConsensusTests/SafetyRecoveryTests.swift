import BatonCrypto
import Consensus
import Simulation
import BatonTestSupport
import Testing

/// SR-R's arithmetic (the rule and its argument: `SafetyRecovery`).
@Suite(.blockingWork) struct SafetyRecoveryTests {
    let committee = SimulatedCommittee(n: 4, seed: 3).committee

    @Test func noFloorBeforeAQuorumOfOthersAnswered() {
        var recovery = SafetyRecovery(nonce: 1)
        recovery.record(1, certifiedView: 9, signedThrough: 10)
        recovery.record(2, certifiedView: 7, signedThrough: 8)
        #expect(recovery.floor(in: committee) == nil)
        recovery.record(3, certifiedView: 8, signedThrough: 9)
        // V = 9: nothing signed up to 11 (the member may have signed in C + 1 ≤ V + 2).
        #expect(recovery.floor(in: committee).map { [$0.votes, $0.timeouts] } == [11, 11])
    }

    @Test func aNewChainTimesOutInViewOneOnly() {
        var recovery = SafetyRecovery(nonce: 1)
        for member in 1...3 as ClosedRange<ValidatorIndex> { recovery.record(member, certifiedView: 0, signedThrough: 0) }
        #expect(recovery.floor(in: committee).map { [$0.votes, $0.timeouts] } == [1, 0])
        // Someone has signed: a certificate for view 1 may have existed, so no
        // vote through view 2; timeouts there carry the genesis QC and stay allowed.
        recovery.record(2, certifiedView: 0, signedThrough: 1)
        #expect(recovery.floor(in: committee).map { [$0.votes, $0.timeouts] } == [2, 0])
    }

    @Test func aSingleMemberCannotRecoverFromOthers() {
        let alone = SimulatedCommittee(n: 1, seed: 3).committee
        #expect(!SafetyRecovery.possible(in: alone, me: 0))
        #expect(SafetyRecovery.possible(in: committee, me: 0))
    }

    @Test func safetyDataWrittenBeforeSRRReadsItsSignedViewConservatively() throws {
        var old = WireWriter()
        old.u64(12)
        old.u64(14)
        old.bool(false)
        let decoded = try SafetyData.decode(old.bytes)
        #expect(decoded.highestSignedView == 14)
        let current = SafetyData(highestVotedView: 20, highestTimeoutView: 20, highestSignedView: 3)
        #expect(try SafetyData.decode(current.encoded) == current)
    }
}
