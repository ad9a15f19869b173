import BatonCrypto
@testable import Consensus
import Simulation
import BatonTestSupport
import Testing

@Suite(.blockingWork) struct VerificationCountTests {
    /// Each signature is verified once per receiving node: a proposal costs its
    /// proposer signature plus its QC's signatures; votes at the next leader
    /// cost one each; the node's own messages cost nothing.
    @Test func signaturesAreVerifiedOncePerReceiver() {
        let setup = SimulatedCommittee(n: 4)
        var cluster = ScriptedCluster(setup)
        cluster.start()
        cluster.run { $0.finalizedHeight(0) >= 50 }
        let verifier = cluster.verifier
        let blocks = Double(cluster.finalizedHeight(0))
        // Per block: 3 receivers × (1 proposer + 3 QC signatures) + 2 votes from others at the next leader.
        let perBlock = Double(verifier.count) / blocks
        #expect(perBlock <= 3 * 4 + 3 + 1)
        #expect(perBlock >= 3 * 4)
    }
}
