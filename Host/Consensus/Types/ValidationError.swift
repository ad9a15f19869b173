/// Why a certificate or message is refused. Every condition of every rule has
/// its own case, so tests (and logs) say exactly which rule a message broke.
/// All are expected and benign for the node: the message is dropped.
public enum ValidationError: Error, Hashable, Sendable {
    // Certificates
    case signerSetSize(expected: Int, got: Int)
    case signatureCountMismatch(signers: Int, signatures: Int)
    case insufficientWeight(View, weight: UInt64, needed: String)
    case badSignature(View, signer: ValidatorIndex)
    /// A QC at or below the epoch root's view that is not the root QC (the genesis QC in epoch 0).
    case invalidGenesisQC
    case tcHighQCViewsMismatch(View)
    case tcHighQCNotHighest(View, highQC: View, maxSigned: View)
    case tcHighQCNotBeforeView(View, highQC: View)

    // Proposals
    case genesisViewProposal
    case notLeader(View, expected: ValidatorIndex, got: ValidatorIndex)
    case badProposerSignature(View, proposer: ValidatorIndex)
    case qcNotForParent(View)
    case qcNotBeforeView(View, qcView: View)
    case missingTC(View, qcView: View)
    case unneededTC(View)
    case tcWrongView(View, tcView: View)
    case qcOlderThanTCHighQC(View, qcView: View, tcHighQCView: View)
    case executedHeightNotBelow(View, executedHeight: Height, height: Height)

    // Votes and timeouts
    case notAVoter(ValidatorIndex)
    case timeoutMissingTC(View, qcView: View)
    case timeoutUnneededTC(View)
}
