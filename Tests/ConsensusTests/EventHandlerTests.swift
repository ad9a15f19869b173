import BatonCrypto
@testable import Consensus
import Simulation
import BatonTestSupport
import Testing

@Suite(.blockingWork) struct EventHandlerTests {
    @Test func fourNodesFinalizeBlocksByTheTwoChainRule() {
        var cluster = Cluster(TestCommittee())
        cluster.start()
        cluster.run { c in c.finalized.allSatisfy { $0.count >= 20 } }
        #expect(cluster.finalized.allSatisfy { $0.count >= 20 })
        #expect(cluster.agree())
        #expect(cluster.faults.isEmpty && cluster.evidence.isEmpty)
        // The simulator's invariant checker watched every step (safety, memory bounds, certificates).
        #expect(cluster.violations.isEmpty, "\(cluster.violations)")
        // The finalized sequence is a chain: heights 1, 2, 3, … each on its predecessor.
        let chain = cluster.finalized[0]
        #expect(chain.map(\.height) == Array(1...Height(chain.count)))
        #expect(zip(chain, chain.dropFirst()).allSatisfy { $0.id == $1.parentID })
        // Happy path: no timeouts were needed.
        #expect(cluster.persisted.allSatisfy { $0.allSatisfy { $0.highestTimeoutView == 0 } })
    }

    @Test func withRealSignaturesToo() {
        var cluster = Cluster(TestCommittee(realCrypto: true))
        cluster.start()
        cluster.run { c in c.finalized.allSatisfy { $0.count >= 5 } }
        #expect(cluster.finalized.allSatisfy { $0.count >= 5 })
        #expect(cluster.agree())
        // The checker verifies certificates with real signatures too.
        #expect(cluster.violations.isEmpty, "\(cluster.violations)")
    }

    @Test func aSilentLeaderLeadsToTimeoutsATCAndTheNextView() {
        let setup = TestCommittee()
        var cluster = Cluster(setup)
        cluster.start()
        cluster.run { c in c.finalized.allSatisfy { $0.count >= 3 } }
        let silent = Int(setup.committee.leader(of: cluster.nodes[0].currentView + 1))
        cluster.isolated = [silent]
        let viewBefore = cluster.nodes[(silent + 1) % 4].currentView
        let heightBefore = cluster.finalizedHeight((silent + 1) % 4)
        let live = (0..<4).filter { $0 != silent }
        cluster.run { c in live.allSatisfy { c.finalizedHeight($0) >= heightBefore + 5 } }
        #expect(live.allSatisfy { cluster.finalizedHeight($0) >= heightBefore + 5 })
        #expect(cluster.agree())
        // Some node timed out after the silence, and views entered by a TC carried it.
        #expect(live.contains { cluster.persisted[$0].last?.highestTimeoutView ?? 0 >= viewBefore })
        let enteredByTC = cluster.allEffects.joined().contains { if case .enteredView(_, .tc) = $0 { true } else { false } }
        #expect(enteredByTC)
        #expect(cluster.violations.isEmpty, "\(cluster.violations)")
    }

    @Test func aNodeThatWasBehindSkipsAheadAndFetchesWhatItMissed() {
        let setup = TestCommittee()
        var cluster = Cluster(setup)
        cluster.start()
        cluster.isolated = [3]
        cluster.run { c in c.finalizedHeight(0) >= 15 }
        #expect(cluster.nodes[3].currentView < cluster.nodes[0].currentView)
        cluster.isolated = []
        cluster.run { c in c.finalizedHeight(3) >= 20 }
        #expect(cluster.finalizedHeight(3) >= 20)
        #expect(cluster.nodes[3].currentView + 2 >= cluster.nodes[0].currentView)
        #expect(cluster.agree())
    }

    /// Further behind than the cache of unconnected proposals reaches, a
    /// node catches up by height: finalized batches in order, then by id.
    /// Off the cooperative pool: 400 blocks of four nodes are seconds of CPU in a loaded suite.
    @Test func aNodeFarBehindCatchesUpByHeightInBatches() async {
        let (behind, target, caughtUp, agree, fetches) = await offThePool {
            var config = ConsensusConfig()
            config.catchUpBatch = 64
            var cluster = Cluster(TestCommittee(), config: config)
            cluster.start()
            cluster.isolated = [3]
            cluster.run(stepsMax: 1_000_000) { c in c.finalizedHeight(0) >= 400 }
            let behind = (cluster.finalizedHeight(0), cluster.finalizedHeight(3))
            cluster.isolated = []
            cluster.clearEffects()
            let target = cluster.finalizedHeight(0) + 5
            cluster.run(stepsMax: 1_000_000) { c in c.finalizedHeight(3) >= target }
            var fetches: [(from: Height, count: Int)] = []
            for effects in cluster.allEffects {
                for case .fetchFinalized(let from, let count, _) in effects { fetches.append((from, Int(count))) }
            }
            #expect(cluster.violations.isEmpty, "\(cluster.violations)")
            return (behind, target, cluster.finalizedHeight(3), cluster.agree(), fetches)
        }
        #expect(behind.0 >= 400 && behind.1 == 0)
        #expect(caughtUp >= target)
        #expect(agree)
        // The gap was crossed in batches of 64 from consecutive heights, each asked once.
        #expect(fetches.allSatisfy { $0.count == 64 }, "\(fetches.map(\.count))")
        let asked = fetches.map(\.from)
        #expect(asked.count >= 400 / 64 && asked.count <= 400 / 64 + 2, "asked from \(asked)")
        #expect(asked == asked.sorted() && Set(asked).count == asked.count)
    }

    @Test func persistHappensBeforeEverySignedMessageLeaves() {
        var cluster = Cluster(TestCommittee())
        cluster.start()
        let silent = Int(cluster.setup.committee.leader(of: 4))
        cluster.run { c in c.finalizedHeight(0) >= 3 }
        cluster.isolated = [silent]
        cluster.run { c in c.finalizedHeight((silent + 1) % 4) >= 8 }
        var signedMessages = 0
        for effects in cluster.allEffects {
            var persistedVote: View = 0, persistedTimeout: View = 0
            for effect in effects {
                switch effect {
                case .persistSafetyData(let data):
                    persistedVote = data.highestVotedView
                    persistedTimeout = data.highestTimeoutView
                case .send(.vote(let vote), _):
                    signedMessages += 1
                    #expect(persistedVote >= vote.view, "vote for \(vote.view) sent before its safety data was persisted")
                case .broadcast(.proposal(let p)):
                    signedMessages += 1
                    #expect(persistedVote >= p.block.view, "proposal sent before persist")
                case .broadcast(.timeout(let t)):
                    signedMessages += 1
                    // A first timeout is persisted in the same list; a re-broadcast was persisted earlier.
                    let persistedEarlier = cluster.persisted.contains { $0.contains { $0.lastTimeout == t } }
                    #expect(persistedTimeout >= t.view || persistedEarlier, "timeout for \(t.view) sent before persist")
                default: break
                }
            }
        }
        #expect(signedMessages > 20)
    }

    @Test func aFollowerTracksFinalityWithoutVoting() {
        var cluster = Cluster(TestCommittee(), followers: 1)
        cluster.start()
        cluster.run { c in c.followerFinalized[0].count >= 10 }
        #expect(cluster.followerFinalized[0].count >= 10)
        #expect(cluster.agree())
        #expect(cluster.followers[0].isFollower)
        #expect(cluster.followers[0].safety.data.highestVotedView == 0)
    }

    @Test func lostTimeoutsAreRebroadcastUntilATCForms() {
        let setup = TestCommittee()
        var cluster = Cluster(setup)
        cluster.start()
        cluster.run { c in c.finalizedHeight(0) >= 2 }
        let silent = Int(setup.committee.leader(of: cluster.nodes[0].currentView + 1))
        cluster.isolated = [silent]
        // The first round of timeouts is lost entirely.
        var dropped = 0
        let stuckView = cluster.nodes[(silent + 1) % 4].currentView + 1
        cluster.drop { message in
            if case .timeout(let t) = message, t.view == stuckView, dropped < 3 { dropped += 1; return true }
            return false
        }
        let before = cluster.finalizedHeight((silent + 1) % 4)
        cluster.run { c in c.finalizedHeight((silent + 1) % 4) >= before + 3 }
        #expect(cluster.finalizedHeight((silent + 1) % 4) >= before + 3)
        #expect(dropped == 3)
        let sent = cluster.allEffects.joined().filter { if case .broadcast(.timeout(let t)) = $0 { t.view == stuckView } else { false } }
        #expect(sent.count > 3)  // re-broadcast after the first round was lost
    }

    @Test func farFutureMessagesAreRefusedAndMemoryStaysBounded() {
        let setup = TestCommittee()
        var node = EventHandler(committee: setup.committee, genesis: setup.genesis, signer: setup.signer(0),
                                verifier: CountingVerifier())
        _ = node.handle(.start(nowMs: 0))
        var tooFar = 0
        for view in 1_000...1_400 as ClosedRange<View> {
            for signer in 0..<4 {
                let effects = node.handle(.vote(setup.vote(signer, view: view, block: SHA256Digest.hash([UInt8(view % 256)])), nowMs: 1))
                tooFar += effects.filter { if case .dropped(.tooFarAhead) = $0 { true } else if case .dropped(.notForMe) = $0 { true } else { false } }.count
            }
        }
        #expect(tooFar == 401 * 4)
        #expect(node.votes.count <= Int(node.config.viewsAheadMax) + 2)
        #expect(node.timeouts.isEmpty)
        // A far-future timeout without the TC that proves its view is invalid, not stored.
        let spam = setup.timeout(1, view: 5_000, highQC: setup.genesisQC)
        let effects = node.handle(.timeout(spam, nowMs: 2))
        #expect(effects.contains(.dropped(.invalid(.timeoutMissingTC(5_000, qcView: 0)))))
        #expect(node.timeouts.isEmpty && node.currentView == 1)
    }

    @Test func anEquivocatingLeaderIsReportedAndSafetyHolds() {
        let setup = TestCommittee()
        var cluster = Cluster(setup)
        cluster.start()
        cluster.run { c in c.finalizedHeight(0) >= 2 }
        // The leader of the next view sends a second, different proposal to everyone.
        let view = cluster.nodes[0].currentView
        let leader = setup.committee.leader(of: view)
        guard let parent = cluster.nodes[0].forks.block(cluster.nodes[0].pacemaker.highestQC.blockID) else { return }
        let twin = setup.block(view: view, height: parent.height + 1, parent: parent,
                               qc: cluster.nodes[0].pacemaker.highestQC, proposer: leader, payload: Array("twin".utf8))
        for i in 0..<4 where i != Int(leader) { cluster.inject(.proposal(setup.proposal(twin), nowMs: cluster.now), to: i) }
        cluster.run { c in c.finalizedHeight(0) >= 8 }
        #expect(cluster.agree())
        #expect(cluster.faults.isEmpty)
        #expect(cluster.evidence.contains { if case .doubleProposal = $0 { true } else { false } })
        #expect(cluster.violations.isEmpty, "\(cluster.violations)")
    }
}
