import BatonCrypto
import DequeModule
import Synchronization

/// The signatures this node made most recently, so that finding one of them
/// again in a certificate costs a comparison, not a verification: the QC in
/// the next proposal carries this node's own vote in three views of four at
/// n = 4 (the leader's always), and a TC its own timeout.
///
/// Why it is sound: libsecp256k1 signs deterministically (RFC 6979), and a
/// signature equal, byte for byte, to one this node made over the same digest
/// with its own key is that signature — valid. Anything else is verified as
/// before. Bound: the last `capacity` signatures (a certificate arrives at
/// most a few views after the vote it carries).
final class OwnSignatures: Sendable {
    static let capacity = 32
    private let recent = Mutex(Deque<(digest: Bytes32, signature: Signature)>())

    func record(_ signature: Signature, digest: Bytes32) {
        recent.withLock { recent in
            if recent.count == Self.capacity { recent.removeFirst() }
            recent.append((digest, signature))
        }
    }

    func contains(_ signature: Signature, digest: Bytes32) -> Bool {
        recent.withLock { recent in recent.contains { $0.digest == digest && $0.signature == signature } }
    }

    /// Signs with `signer` and remembers what it signed.
    struct Signer: MessageSigner {
        let signer: any MessageSigner
        let own: OwnSignatures
        var publicKey: PublicKey { signer.publicKey }

        func sign(_ digest: Bytes32) -> Signature {
            let signature = signer.sign(digest)
            own.record(signature, digest: digest)
            return signature
        }
    }

    /// Verifies with `verifier`, except this node's own remembered signatures.
    struct Verifier: SignatureVerifier {
        let verifier: any SignatureVerifier
        let own: OwnSignatures
        let key: PublicKey

        func verify(_ signature: Signature, digest: Bytes32, publicKey: PublicKey) -> Bool {
            if publicKey == key, own.contains(signature, digest: digest) { return true }
            return verifier.verify(signature, digest: digest, publicKey: publicKey)
        }
    }
}
