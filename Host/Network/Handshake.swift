import BatonCrypto
import Consensus
import Crypto

/// Mutual authentication and key agreement, as a pure state machine (no I/O):
///
/// 1. Each side sends `hello`: version, chain id, a fresh X25519 key, and the
///    secp256k1 key it claims.
/// 2. Each side signs the transcript — SHA-256 over both hellos, so over both
///    fresh ephemeral keys — with its claimed key, under a role-specific tag
///    (a signature cannot be reflected back), and checks the other's.
/// 3. Both derive one ChaChaPoly key per direction with HKDF-SHA256 from the
///    X25519 secret, salted with the transcript.
///
/// The caller decides who may connect (`authorize`): committee members and
/// configured listeners; everyone else is refused after step 2.
public struct Handshake: Sendable {
    public enum Role: Sendable { case initiator, responder }

    public static let version: UInt8 = 1
    static let helloBytes = 1 + 32 + 32 + 33
    static let transcriptTag = Array("baton/v1/handshake".utf8)

    let role: Role
    let chainID: Bytes32
    let signer: any MessageSigner
    let ephemeral: Curve25519.KeyAgreement.PrivateKey
    public let hello: [UInt8]
    private var peerHello: [UInt8]?

    public init(role: Role, chainID: Bytes32, signer: any MessageSigner) {
        self.role = role
        self.chainID = chainID
        self.signer = signer
        ephemeral = Curve25519.KeyAgreement.PrivateKey()
        var w = WireWriter(capacity: Self.helloBytes)
        w.u8(Self.version)
        w.bytes32(chainID)
        w.raw(Array(ephemeral.publicKey.rawRepresentation))
        w.raw(signer.publicKey.compressed)
        hello = w.bytes
    }

    /// Takes the peer's hello; returns this side's authentication to send.
    public mutating func receiveHello(_ bytes: [UInt8]) throws(HandshakeError) -> [UInt8] {
        guard bytes.count == Self.helloBytes else { throw .malformed("hello of \(bytes.count) bytes") }
        guard bytes[0] == Self.version else { throw .versionMismatch(ours: Self.version, theirs: bytes[0]) }
        guard Bytes32(bytes[1..<33]) == chainID else { throw .wrongChain }
        peerHello = bytes
        return signer.sign(authDigest(for: role)).bytes
    }

    /// Takes the peer's authentication: returns who it is and the session.
    public func receiveAuth(_ bytes: [UInt8], verifier: any SignatureVerifier,
                            authorize: (PublicKey) throws(HandshakeError) -> Void) throws(HandshakeError) -> (peer: PublicKey, cipher: SessionCipher) {
        guard let peerHello else { throw .malformed("authentication before hello") }
        guard let signature = Signature(bytes) else { throw .malformed("authentication of \(bytes.count) bytes") }
        guard let peerKey = PublicKey(compressed: Array(peerHello[65..<98])) else { throw .malformed("peer public key") }
        let peerRole: Role = role == .initiator ? .responder : .initiator
        guard verifier.verify(signature, digest: authDigest(for: peerRole), publicKey: peerKey) else { throw .badSignature }
        try authorize(peerKey)
        guard let peerEphemeral = try? Curve25519.KeyAgreement.PublicKey(rawRepresentation: peerHello[33..<65]),
              let secret = try? ephemeral.sharedSecretFromKeyAgreement(with: peerEphemeral) else {
            throw .keyAgreementFailed
        }
        let salt = transcript.bytes
        func key(_ direction: String) -> SymmetricKey {
            secret.hkdfDerivedSymmetricKey(using: SHA256.self, salt: salt, sharedInfo: Array("baton/v1/\(direction)".utf8),
                                           outputByteCount: 32)
        }
        let i2r = key("initiator->responder"), r2i = key("responder->initiator")
        let cipher = role == .initiator ? SessionCipher(sendKey: i2r, receiveKey: r2i) : SessionCipher(sendKey: r2i, receiveKey: i2r)
        return (peerKey, cipher)
    }

    /// SHA-256(tag ‖ initiator's hello ‖ responder's hello).
    var transcript: Bytes32 {
        let peer = peerHello ?? []
        let (first, second) = role == .initiator ? (hello, peer) : (peer, hello)
        return SHA256Digest.hash(Self.transcriptTag + first + second)
    }

    func authDigest(for role: Role) -> Bytes32 {
        SHA256Digest.hash(Array("baton/v1/auth/\(role == .initiator ? "initiator" : "responder")".utf8) + transcript.bytes)
    }
}
