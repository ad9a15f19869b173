import BatonCrypto
@testable import Node
import Synchronization
import Testing

/// A node does not verify again what it signed itself, and nothing else is spared.
@Suite struct OwnSignaturesTests {
    /// Counts the verifications that reach libsecp256k1.
    final class CountingVerifier: SignatureVerifier {
        let calls = Atomic<Int>(0)
        func verify(_ signature: Signature, digest: Bytes32, publicKey: PublicKey) -> Bool {
            calls.add(1, ordering: .relaxed)
            return Secp256k1Verifier().verify(signature, digest: digest, publicKey: publicKey)
        }
    }

    @Test func ownSignaturesAreRecognisedOthersAreVerified() {
        let mine = PrivateKey.generate(), theirs = PrivateKey.generate()
        let own = OwnSignatures()
        let counting = CountingVerifier()
        let signer = OwnSignatures.Signer(signer: Secp256k1Signer(mine), own: own)
        let verifier = OwnSignatures.Verifier(verifier: counting, own: own, key: mine.publicKey)
        let digest = SHA256Digest.hash([1, 2, 3])
        let signature = signer.sign(digest)

        #expect(verifier.verify(signature, digest: digest, publicKey: mine.publicKey))
        #expect(counting.calls.load(ordering: .relaxed) == 0)
        // The same bytes over another digest, or presented for another key: verified (and refused).
        #expect(!verifier.verify(signature, digest: SHA256Digest.hash([4]), publicKey: mine.publicKey))
        #expect(!verifier.verify(signature, digest: digest, publicKey: theirs.publicKey))
        // Another key's valid signature over the same digest: verified.
        #expect(verifier.verify(Secp256k1Signer(theirs).sign(digest), digest: digest, publicKey: theirs.publicKey))
        // A forged "own" signature: verified, refused.
        let forged = Signature(r: signature.s, s: signature.r)
        #expect(!verifier.verify(forged, digest: digest, publicKey: mine.publicKey))
        #expect(counting.calls.load(ordering: .relaxed) == 4)
    }

    @Test func onlyTheLastSignaturesAreRemembered() {
        let mine = PrivateKey.generate()
        let own = OwnSignatures()
        let counting = CountingVerifier()
        let signer = OwnSignatures.Signer(signer: Secp256k1Signer(mine), own: own)
        let verifier = OwnSignatures.Verifier(verifier: counting, own: own, key: mine.publicKey)
        let digests = (0...OwnSignatures.capacity).map { SHA256Digest.hash([UInt8($0)]) }
        let signatures = digests.map { signer.sign($0) }
        #expect(verifier.verify(signatures.last!, digest: digests.last!, publicKey: mine.publicKey))
        #expect(counting.calls.load(ordering: .relaxed) == 0)
        // The first fell out of the bound: verified again, still valid.
        #expect(verifier.verify(signatures[0], digest: digests[0], publicKey: mine.publicKey))
        #expect(counting.calls.load(ordering: .relaxed) == 1)
    }
}
