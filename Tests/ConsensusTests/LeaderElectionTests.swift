import Consensus
import Simulation
import BatonTestSupport
import Testing

/// LR-1 … LR-8 on the election alone, fed the records finalized blocks make.
@Suite(.blockingWork) struct LeaderElectionTests {
    let setup = SimulatedCommittee(n: 4, seed: 41)
    var config: ReputationElection.Config { ReputationElection.Config() }

    /// A record for the block of `view` at `height`: proposed by `proposer`,
    /// its parent's QC signed by `voters`, blaming `failed` (LR-5).
    func record(_ height: Height, view: View, proposer: ValidatorIndex, voters: [ValidatorIndex] = [0, 1, 2, 3],
                failed: [ValidatorIndex] = []) -> LeaderRecord {
        LeaderRecord(height: height, view: view, proposer: proposer,
                     voters: SignerSet(capacity: 4, members: voters), failedLeaders: failed)
    }

    /// A healthy history of `count` blocks, one per view, proposers by the stake draw.
    func healthy(_ election: inout ReputationElection, heights: ClosedRange<Height>) {
        for h in heights { election.learn(record(h, view: h, proposer: election.leader(of: h))) }
    }

    @Test func withEveryoneActiveTheLeaderIsTheStakeDraw() {
        var election = ReputationElection(committee: setup.committee, config: config)
        healthy(&election, heights: 1...60)
        #expect(election.standings.allSatisfy { $0.kind == .active })
        #expect((61...400 as ClosedRange<View>).allSatisfy { election.leader(of: $0) == setup.committee.stakeLeader(of: $0) })
    }

    /// LR-3, LR-4: a member that stopped voting and proposing is inactive
    /// after the activity window, and weight 0 elects it for no view.
    @Test func aCrashedMemberStopsBeingElected() {
        var election = ReputationElection(committee: setup.committee, config: config)
        healthy(&election, heights: 1...20)
        // Member 3 crashes: absent from QCs, and blamed for the views it led.
        var view: View = 21
        var ledAfterDetection = 0
        let activity = Height(config.activityBlocks(members: 4))
        for h in Height(21)...600 {
            while election.leader(of: view) == 3 {
                if h > 21 + activity { ledAfterDetection += 1 }
                view += 1
            }
            let blamed: [ValidatorIndex] = election.leader(of: view - 1) == 3 ? [3] : []
            election.learn(record(h, view: view, proposer: election.leader(of: view), voters: [0, 1, 2], failed: blamed))
            view += 1
        }
        #expect(election.standings[3].kind != .active)
        #expect(ledAfterDetection == 0, "member 3 led \(ledAfterDetection) views after detection")
        #expect(election.standings[3].kind == .inactive)
        #expect(election.standings[0...2].allSatisfy { $0.kind == .active })
    }

    /// LR-3: back, it votes again; once its failed slot has left the window
    /// it is active and leads its share.
    @Test func aRestartedMemberEarnsItsSlotBack() {
        var election = ReputationElection(committee: setup.committee, config: config)
        healthy(&election, heights: 1...20)
        election.learn(record(21, view: 22, proposer: 0, voters: [0, 1, 2], failed: [3]))
        #expect(election.standings[3].kind == .failing)
        let window = Height(config.windowBlocks(members: 4))
        for h in Height(22)...(21 + window) { election.learn(record(h, view: h + 1, proposer: 0)) }
        #expect(election.standings[3].kind == .active)
        let next = View(22 + window) + config.lagViews
        #expect((next...next + 400).filter { election.leader(of: $0) == 3 }.count > 50)
    }

    /// LR-6: when every member looks bad, the stake draw still elects
    /// someone. (A proposer outside the committee stands for "no one did
    /// well": a real block's proposer is active.)
    @Test func aCommitteeWhereEveryoneLooksBadStillElects() {
        var election = ReputationElection(committee: setup.committee, config: config)
        for h in Height(1)...4 { election.learn(record(h, view: h * 2, proposer: 99, voters: [], failed: [ValidatorIndex(h - 1)])) }
        #expect(election.standings.allSatisfy { $0.kind != .active })
        let leaders = Set((9...8 + config.staleAnchorViews).map { election.leader(of: $0) })
        #expect(leaders == [0, 1, 2, 3])
        // No one left with weight (everyone inactive): the stake draw.
        var silent = ReputationElection(committee: setup.committee, config: config)
        for h in Height(1)...12 { silent.learn(record(h, view: h, proposer: 99, voters: [])) }
        #expect(silent.standings.allSatisfy { $0.kind == .inactive })
        #expect((13...32 as ClosedRange<View>).allSatisfy { silent.leader(of: $0) == setup.committee.stakeLeader(of: $0) })
    }

    /// LR-1: a restart that learns only the kept records (window + lag + 2)
    /// elects exactly as the node that never stopped.
    @Test func theKeptRecordsResumeTheSameElection() {
        var full = ReputationElection(committee: setup.committee, config: config)
        var records: [LeaderRecord] = []
        var view: View = 1
        for h in Height(1)...300 {
            let failed: [ValidatorIndex] = h % 7 == 0 ? [full.leader(of: view)] : []
            if !failed.isEmpty { view += 1 }
            let r = record(h, view: view, proposer: full.leader(of: view), voters: h % 5 == 0 ? [0, 1, 2] : [0, 1, 2, 3],
                           failed: failed)
            full.learn(r)
            records.append(r)
            view += 1
        }
        var resumed = ReputationElection(committee: setup.committee, config: config)
        let kept = config.windowBlocks(members: 4) + Int(config.lagViews) + 2
        for r in records.suffix(kept) { resumed.learn(r) }
        #expect((view...view + 300).allSatisfy { resumed.leader(of: $0) == full.leader(of: $0) })
        #expect(resumed.standings == full.standings)
        // A record learnt twice (a replay) changes nothing.
        resumed.learn(records.last!)
        #expect(resumed.standings == full.standings)
    }

    /// LR-8: an anchor more than `staleAnchorViews` behind elects by stake.
    @Test func aStaleAnchorElectsByStake() {
        var election = ReputationElection(committee: setup.committee, config: config)
        for h in Height(1)...30 { election.learn(record(h, view: h, proposer: 0, voters: [0, 1, 2], failed: h % 2 == 0 ? [3] : [])) }
        let fresh = View(30) + config.lagViews
        #expect(election.anchor(of: fresh)?.height == 30)
        let stale = View(31) + config.staleAnchorViews
        #expect(election.anchor(of: stale) == nil)
        #expect(election.leader(of: stale) == setup.committee.stakeLeader(of: stale))
    }

    @Test func recordsSurviveTheirEncodingAndBadOnesAreRefused() throws {
        let r = record(9, view: 12, proposer: 2, voters: [0, 2, 3], failed: [1])
        #expect(try LeaderRecord.decode(r.encoded) == r)
        var bytes = r.encoded
        bytes.removeLast()
        #expect(throws: WireDecodingError.self) { try LeaderRecord.decode(bytes) }
        var w = WireWriter()
        w.u64(1); w.u64(1); w.u16(0)
        SignerSet(capacity: 4).encode(to: &w)
        w.u16(UInt16(LeaderRecord.failedViewsMax + 1))
        #expect(throws: WireDecodingError.self) { try LeaderRecord.decode(w.bytes) }
    }

    @Test func configProblemsAreNamed() {
        var c = ReputationElection.Config()
        c.lagViews = 2
        #expect(c.problem()?.contains("lag_views") == true)
        c = ReputationElection.Config()
        c.activeWeight = 0
        #expect(c.problem()?.contains("active weight") == true)
    }
}
