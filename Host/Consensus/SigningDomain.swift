import BatonCrypto

/// The bytes every signature in the protocol covers, defined once.
///
/// Each kind has its own domain tag and includes the chain id, so a vote
/// signature can never be replayed as a timeout signature, nor a signature of
/// one chain on another.
public enum SigningDomain {
    static let voteTag = Array("baton/v1/vote".utf8)
    static let timeoutTag = Array("baton/v1/timeout".utf8)

    /// A vote (and a proposer's signature, which is its vote): view and block.
    public static func voteDigest(chainID: Bytes32, view: View, blockID: BlockID) -> Bytes32 {
        var w = WireWriter(capacity: 96)
        w.raw(voteTag)
        w.bytes32(chainID)
        w.u64(view)
        w.bytes32(blockID)
        return SHA256Digest.hash(w.bytes)
    }

    /// A timeout: the view abandoned and the view of the signer's highest QC
    /// (DiemBFT v4: the TC keeps only that view per signer, so it is what is signed).
    public static func timeoutDigest(chainID: Bytes32, view: View, highQCView: View) -> Bytes32 {
        var w = WireWriter(capacity: 96)
        w.raw(timeoutTag)
        w.bytes32(chainID)
        w.u64(view)
        w.u64(highQCView)
        return SHA256Digest.hash(w.bytes)
    }
}
