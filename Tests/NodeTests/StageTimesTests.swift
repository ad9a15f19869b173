import BatonCrypto
import Consensus
@testable import Node
import Simulation
import Testing

/// The stage breakdown `baton bench cluster` prints (issue 18): each stage
/// measured between the right two moments, unknown stages left out, bounds kept.
@Suite struct StageTimesTests {
    let net = SimulatedCommittee(n: 4, seed: 3)

    func block(height: Height, timestampMs: UInt64) -> Block {
        Block(view: height, height: height, parentID: net.genesis.id, qc: net.genesisQC, lastViewTC: nil, proposer: 0,
              timestampMs: timestampMs, executedHeight: 0, executedStateHash: .zero, payload: [UInt8(height)])
    }

    @Test func eachStageIsTheTimeBetweenItsTwoMoments() {
        var times = StageTimes()
        let b = block(height: 5, timestampMs: 1_000)
        times.certified(b.id, atMs: 1_030)
        times.certified(b.id, atMs: 1_500)  // only the first sighting counts
        // Two transactions: one admitted here 400 ms before the proposal, one never held here.
        times.committed(b, admittedMs: [600, nil], finalizedMs: 1_100, committedMs: 1_112, eventMs: 1_113)
        let (samples, stages) = times.percentiles()
        #expect(samples == 2)
        #expect(stages["mempool"]?["p50"] == 400 && stages["mempool"]?["samples"] == 1)
        #expect(stages["certify"]?["p50"] == 30 && stages["finalize"]?["p50"] == 70)
        #expect(stages["commit"]?["p50"] == 12 && stages["event"]?["p50"] == 1)
        // Only blocks from a height on (the benchmark's window).
        #expect(times.percentiles(fromHeight: 6).samples == 0)
    }

    @Test func aBlockWithoutASeenQCHasNoCertifyOrFinalizeTimeAndTheSamplesAreBounded() {
        var times = StageTimes()
        let b = block(height: 1, timestampMs: 10)
        times.committed(b, admittedMs: Array(repeating: 5, count: StageTimes.samplesMax + 10), finalizedMs: 20, committedMs: 21,
                        eventMs: 21)
        let (samples, stages) = times.percentiles()
        #expect(samples == StageTimes.samplesMax)
        #expect(stages["certify"] == nil && stages["finalize"] == nil && stages["mempool"]?["p99"] == 5)
    }
}
