import BatonCrypto
import Consensus
import Simulation

/// Builders of signed protocol objects for tests.
extension SimulatedCommittee {
    public func vote(_ i: Int, view: View, block: BlockID) -> Vote {
        let digest = SigningDomain.voteDigest(domain: committee.chainID, view: view, blockID: block)
        return Vote(view: view, blockID: block, signer: ValidatorIndex(i), signature: signer(i).sign(digest))
    }

    public func qc(view: View, block: BlockID, signers: [Int]? = nil) -> QuorumCertificate {
        let who = signers ?? Array(0..<committee.count)
        let set = SignerSet(capacity: committee.count, members: who.map { ValidatorIndex($0) })
        return QuorumCertificate(view: view, blockID: block, signers: set,
                                 signatures: set.map { vote(Int($0), view: view, block: block).signature })
    }

    public func timeout(_ i: Int, view: View, highQC: QuorumCertificate, tc: TimeoutCertificate? = nil) -> TimeoutObject {
        let digest = SigningDomain.timeoutDigest(domain: committee.chainID, view: view, highQCView: highQC.view)
        return TimeoutObject(view: view, highQC: highQC, lastViewTC: tc, signer: ValidatorIndex(i),
                             signature: signer(i).sign(digest))
    }

    public func tc(view: View, highQC: QuorumCertificate, signers: [Int]? = nil) -> TimeoutCertificate {
        let who = signers ?? Array(0..<committee.count)
        let set = SignerSet(capacity: committee.count, members: who.map { ValidatorIndex($0) })
        let sigs = set.map { timeout(Int($0), view: view, highQC: highQC).signature }
        return TimeoutCertificate(view: view, highQC: highQC, signers: set,
                                  highQCViews: set.map { _ in highQC.view }, signatures: sigs)
    }

    public func block(view: View, height: Height, parent: Block, qc: QuorumCertificate? = nil, tc: TimeoutCertificate? = nil,
               proposer: ValidatorIndex? = nil, payload: [UInt8] = []) -> Block {
        Block(view: view, height: height, parentID: parent.id, qc: qc ?? self.qc(view: parent.view, block: parent.id),
              lastViewTC: tc, proposer: proposer ?? committee.leader(of: view), timestampMs: view, executedHeight: 0,
              executedStateHash: .zero, payload: payload)
    }

    public func proposal(_ block: Block) -> Proposal {
        Proposal(block: block, signature: vote(Int(block.proposer), view: block.view, block: block.id).signature)
    }

    public func validator(_ verifier: CountingVerifier = CountingVerifier()) -> Validator {
        Validator(committee: committee, genesisID: genesis.id, verifier: verifier)
    }
}

