import Consensus
import Simulation

/// Blocks for store tests that need distinct finalized blocks but no
/// consensus behind them: block h has view and height h, the genesis as
/// parent and its QC, and a payload naming h (so every id differs).
struct SyntheticBlocks {
    let genesis = SimulatedCommittee(n: 4, seed: 7).genesis
    var qc: QuorumCertificate { .genesis(genesis.id) }

    func block(_ height: Height) -> Block {
        Block(view: height, height: height, parentID: genesis.id, qc: qc, lastViewTC: nil, proposer: 0,
              timestampMs: 1, executedHeight: 0, executedStateHash: .zero, payload: Array("b\(height)".utf8))
    }
}
