/// What consensus needs from cryptography, as small protocols, so tests can
/// count calls or stand in a fast fake, and the core never names the library.

/// Signs 32-byte digests with one key.
public protocol MessageSigner: Sendable {
    var publicKey: PublicKey { get }
    func sign(_ digest: Bytes32) -> Signature
}

/// Checks a signature over a 32-byte digest. Must be safe to call from any
/// thread (the node verifies in parallel before events enter its loop).
public protocol SignatureVerifier: Sendable {
    func verify(_ signature: Signature, digest: Bytes32, publicKey: PublicKey) -> Bool
}

/// A compact ECDSA signature: r and s, 32 bytes each (64 on the wire).
public struct Signature: Hashable, Sendable, CustomStringConvertible {
    public static let byteCount = 64
    public let r: Bytes32
    public let s: Bytes32

    public init(r: Bytes32, s: Bytes32) {
        self.r = r
        self.s = s
    }

    public init?(_ bytes: [UInt8]) {
        guard bytes.count == Self.byteCount, let r = Bytes32(bytes[0..<32]), let s = Bytes32(bytes[32..<64]) else { return nil }
        self.init(r: r, s: s)
    }

    public var bytes: [UInt8] { r.bytes + s.bytes }
    public var description: String { "sig:" + r.short }
}
