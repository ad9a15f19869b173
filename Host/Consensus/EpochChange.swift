import BatonCrypto

/// The switch from one committee to the next, and the proof that it happened
/// where it says (EP-1 … EP-4 in the README's consensus section).
///
/// `root` is the last block of epoch `epoch - 1`: the block whose commit
/// decided the change. It is final in that epoch because of `above` and
/// `qc`, signed by the old committee: `above` are the old epoch's blocks
/// from the root's child up, each the parent of the next, the last certified
/// by `qc` and one view above the one before it — the 2-chain rule, as in
/// `FinalityProof` (mostly `above` is just the root's child; it is longer
/// when the root became final only through a descendant). Epoch `epoch`
/// starts from `root`: its first block extends it with
/// `QuorumCertificate.root(of:)`, and no block of `above` is ever committed
/// (EP-1).
///
/// Every node keeps this record: a node still in the old epoch needs
/// `above` and `qc` to finalize the root (no block of the new epoch
/// validates under the old committee), and anyone verifying a proof of a
/// later height walks the records from the genesis committee.
public struct EpochChange: Sendable {
    public let committee: Committee
    public let root: Block
    public let above: [Block]
    public let qc: QuorumCertificate

    public init(committee: Committee, root: Block, above: [Block], qc: QuorumCertificate) {
        self.committee = committee
        self.root = root
        self.above = above
        self.qc = qc
    }

    public var epoch: Epoch { committee.epoch }

    /// The record of the finalization that reached `root`, the last block
    /// of the epoch before `committee`'s; nil if it did not reach it.
    public init?(committee: Committee, root: Block, finalization: Forks.Finalization) {
        guard let position = finalization.blocks.firstIndex(where: { $0.id == root.id }) else { return nil }
        self.init(committee: committee, root: root, above: finalization.blocks[(position + 1)...] + [finalization.child],
                  qc: finalization.childQC)
    }

    /// EP-4: `root` is final under `previous` (the 2-chain), and this record
    /// names the next epoch. What the new committee is was decided by the
    /// committed chain up to `root`, which the old committee certified.
    public func verify(previous: Committee, verifier: any SignatureVerifier) throws(FinalityProofError) {
        guard committee.epoch == previous.epoch + 1, committee.chainID == previous.chainID else {
            throw .wrongChain(expected: previous.signingDomain, got: committee.signingDomain)
        }
        let proof = FinalityProof(chainID: previous.chainID, headers: [root.header] + above.map(\.header), qc: qc)
        _ = try proof.verify(committee: previous, verifier: verifier)
    }
}

extension Committee {
    /// The committee of the next epoch: `members` (the whole new list, in
    /// order), the same chain and leader seed, `epoch + 1`.
    public func following(members: [Member]) throws(InvalidCommittee) -> Committee {
        try Committee(chainID: chainID, members: members, leaderSeed: leaderSeed, epoch: epoch + 1)
    }
}
