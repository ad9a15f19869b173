import BatonCrypto

/// The bytes every signature in the protocol covers, defined once.
///
/// Each kind has its own domain tag and includes the epoch's domain (the
/// chain id in epoch 0), so a vote signature can never be replayed as a
/// timeout signature, nor a signature of one chain on another, nor one of an
/// epoch in another.
public enum SigningDomain {
    static let voteTag = Array("baton/v1/vote".utf8)
    static let timeoutTag = Array("baton/v1/timeout".utf8)
    static let epochTag = Array("baton/v1/epoch".utf8)

    /// The domain of an epoch's signatures: the chain id itself in epoch 0
    /// (every signature made before committees could change stays valid),
    /// SHA-256(tag ‖ chain id ‖ epoch) after. The vote and timeout digests
    /// take it where they once took the chain id.
    public static func epochDomain(chainID: Bytes32, epoch: Epoch) -> Bytes32 {
        guard epoch > 0 else { return chainID }
        var w = WireWriter(capacity: 64)
        w.raw(epochTag)
        w.bytes32(chainID)
        w.u64(epoch)
        return SHA256Digest.hash(w.bytes)
    }

    /// A vote (and a proposer's signature, which is its vote): view and block.
    public static func voteDigest(domain: Bytes32, view: View, blockID: BlockID) -> Bytes32 {
        var w = WireWriter(capacity: 96)
        w.raw(voteTag)
        w.bytes32(domain)
        w.u64(view)
        w.bytes32(blockID)
        return SHA256Digest.hash(w.bytes)
    }

    /// A timeout: the view abandoned and the view of the signer's highest QC
    /// (DiemBFT v4: the TC keeps only that view per signer, so it is what is signed).
    public static func timeoutDigest(domain: Bytes32, view: View, highQCView: View) -> Bytes32 {
        var w = WireWriter(capacity: 96)
        w.raw(timeoutTag)
        w.bytes32(domain)
        w.u64(view)
        w.u64(highQCView)
        return SHA256Digest.hash(w.bytes)
    }
}
