import BatonCrypto
@testable import Consensus
import Simulation
import BatonTestSupport
import Testing

@Suite(.blockingWork) struct HostileInputTests {
    /// Views, heights and counts come from the wire; extreme values are
    /// dropped, never an arithmetic trap.
    @Test func extremeViewsFromPeersAreDroppedNotTrapped() {
        let setup = SimulatedCommittee(n: 4)
        var node = EventHandler(committee: setup.committee, genesis: setup.genesis, signer: setup.signer(0),
                                verifier: CountingVerifier())
        _ = node.handle(.start(nowMs: 0))
        let max = UInt64.max
        _ = node.handle(.vote(setup.vote(1, view: max, block: .zero), nowMs: 1))
        _ = node.handle(.vote(setup.vote(1, view: max - 1, block: .zero), nowMs: 1))
        _ = node.handle(.timeout(setup.timeout(1, view: max, highQC: setup.genesisQC), nowMs: 1))
        let tcMax = TimeoutCertificate(view: max, highQC: setup.genesisQC, signers: SignerSet(capacity: 4),
                                       highQCViews: [], signatures: [])
        _ = node.handle(.timeout(setup.timeout(1, view: 5, highQC: setup.genesisQC, tc: tcMax), nowMs: 1))
        let block = setup.block(view: 2, height: max, parent: setup.genesis, qc: setup.genesisQC, tc: tcMax)
        _ = node.handle(.proposal(setup.proposal(block), nowMs: 1))
        let far = setup.block(view: max, height: 1, parent: setup.genesis, qc: setup.genesisQC)
        _ = node.handle(.proposal(setup.proposal(far), nowMs: 1))
        _ = node.handle(.blocksFetched([far, block], nowMs: 1))
        #expect(node.currentView == 1)
    }

    /// Every bit-flipped variant of real traffic that still decodes is fed to
    /// a running node: it is refused or handled, and the node keeps going.
    @Test func mutatedTrafficNeverTrapsANode() {
        var cluster = ScriptedCluster(SimulatedCommittee(n: 4))
        cluster.start()
        cluster.run { $0.finalizedHeight(0) >= 3 }
        var traffic: [Message] = []
        for effects in cluster.allEffects.suffix(60) {
            for case .broadcast(let m) in effects { traffic.append(m) }
            for case .send(let m, _) in effects { traffic.append(m) }
        }
        var node = cluster.nodes[1]
        var fed = 0
        for message in traffic.prefix(12) {
            let bytes = message.encoded
            for index in stride(from: 0, to: bytes.count, by: 3) {
                var flipped = bytes
                flipped[index] ^= 0x80
                guard let decoded = try? Message.decode(flipped) else { continue }
                fed += 1
                switch decoded {
                case .proposal(let p): _ = node.handle(.proposal(p, nowMs: cluster.now))
                case .vote(let v): _ = node.handle(.vote(v, nowMs: cluster.now))
                case .timeout(let t): _ = node.handle(.timeout(t, nowMs: cluster.now))
                default: break
                }
            }
        }
        #expect(fed > 100)
        #expect(node.currentView >= cluster.nodes[1].currentView)
    }
}
