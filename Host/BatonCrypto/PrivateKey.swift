import CSecp256k1

/// A secp256k1 secret key (32 bytes). Never logged: its description hides it.
public struct PrivateKey: Sendable, CustomStringConvertible {
    public let bytes: [UInt8]
    public let publicKey: PublicKey

    /// A fresh key from the OS CSPRNG.
    public static func generate() -> PrivateKey {
        while true {
            if let key = PrivateKey(bytes: SecureRandom.bytes(32)) { return key }
        }
    }

    /// Nil unless `bytes` is a valid secret (32 bytes, nonzero, below the order).
    public init?(bytes: [UInt8]) {
        let context = Secp256k1Context.shared.pointer
        guard bytes.count == 32, secp256k1_ec_seckey_verify(context, bytes) == 1 else { return nil }
        var key = secp256k1_pubkey()
        guard secp256k1_ec_pubkey_create(context, &key, bytes) == 1 else { return nil }
        self.bytes = bytes
        publicKey = PublicKey(parsed: key)
    }

    public var description: String { "PrivateKey(for \(publicKey))" }
}

/// Signs with one secp256k1 key: ECDSA, RFC 6979 nonces, low-S, compact.
public struct Secp256k1Signer: MessageSigner {
    public let privateKey: PrivateKey
    public var publicKey: PublicKey { privateKey.publicKey }

    public init(_ privateKey: PrivateKey) { self.privateKey = privateKey }

    public func sign(_ digest: Bytes32) -> Signature {
        let context = Secp256k1Context.shared.pointer
        var signature = secp256k1_ecdsa_signature()
        let signed = digest.withUnsafeBytes { message in
            secp256k1_ecdsa_sign(context, &signature, message.baseAddress!.assumingMemoryBound(to: UInt8.self),
                                 privateKey.bytes, nil, nil)
        }
        // Fails only for an invalid key, which PrivateKey's invariant rules out.
        precondition(signed == 1, "secp256k1 signing failed with a validated key")
        var compact = [UInt8](repeating: 0, count: Signature.byteCount)
        _ = secp256k1_ecdsa_signature_serialize_compact(context, &compact, &signature)
        return Signature(compact)!
    }
}

/// Verifies compact ECDSA signatures. High-S signatures are normalized to
/// low-S before verification, so either encoding of a valid signature passes
/// (votes are identified by signer, not by signature bytes).
public struct Secp256k1Verifier: SignatureVerifier {
    public init() {}

    public func verify(_ signature: Signature, digest: Bytes32, publicKey: PublicKey) -> Bool {
        let context = Secp256k1Context.shared.pointer
        var parsed = secp256k1_ecdsa_signature()
        let compact = signature.bytes
        guard secp256k1_ecdsa_signature_parse_compact(context, &parsed, compact) == 1 else { return false }
        var normalized = secp256k1_ecdsa_signature()
        _ = secp256k1_ecdsa_signature_normalize(context, &normalized, &parsed)
        var key = publicKey.parsed
        return digest.withUnsafeBytes { message in
            secp256k1_ecdsa_verify(context, &normalized, message.baseAddress!.assumingMemoryBound(to: UInt8.self), &key) == 1
        }
    }
}
