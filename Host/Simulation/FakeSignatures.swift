import BatonCrypto
import Synchronization

/// A signer that is fast and obviously fake: r = digest, s = SHA-256(public
/// key). For simulation and benchmarks of the protocol logic alone, where a
/// real ECDSA signature (~50 µs) would hide everything else.
public struct FakeSigner: MessageSigner {
    public init(publicKey: PublicKey) { self.publicKey = publicKey }
    public let publicKey: PublicKey
    public func sign(_ digest: Bytes32) -> Signature { Signature(r: digest, s: SHA256Digest.hash(publicKey.compressed)) }
}

/// Checks FakeSigner's signatures and counts every call.
public final class CountingVerifier: SignatureVerifier {
    let calls = Atomic<Int>(0)
    let real: Bool
    public init(real: Bool = false) { self.real = real }

    public func verify(_ signature: Signature, digest: Bytes32, publicKey: PublicKey) -> Bool {
        calls.add(1, ordering: .relaxed)
        if real { return Secp256k1Verifier().verify(signature, digest: digest, publicKey: publicKey) }
        return signature.r == digest && signature.s == SHA256Digest.hash(publicKey.compressed)
    }

    public var count: Int { calls.load(ordering: .relaxed) }
}

