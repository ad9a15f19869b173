import CSecp256k1

/// A committee member's secp256k1 public key: 33 bytes, compressed.
///
/// Invariant: only valid curve points exist as `PublicKey` (the initializer
/// parses the point), and the parsed form is kept, so verification never
/// parses the key again.
public struct PublicKey: Hashable, Sendable, CustomStringConvertible {
    public static let byteCount = 33
    public let compressed: [UInt8]
    let parsed: secp256k1_pubkey

    /// Nil unless `bytes` is a valid compressed point.
    public init?(compressed bytes: [UInt8]) {
        guard bytes.count == Self.byteCount, bytes[0] == 2 || bytes[0] == 3 else { return nil }
        var key = secp256k1_pubkey()
        guard secp256k1_ec_pubkey_parse(Secp256k1Context.shared.pointer, &key, bytes, bytes.count) == 1 else { return nil }
        compressed = bytes
        parsed = key
    }

    init(parsed key: secp256k1_pubkey) {
        var key = key
        var out = [UInt8](repeating: 0, count: Self.byteCount)
        var length = out.count
        _ = secp256k1_ec_pubkey_serialize(Secp256k1Context.shared.pointer, &out, &length, &key,
                                          baton_secp256k1_ec_compressed())
        compressed = out
        parsed = key
    }

    public var hex: String { Hex.encode(compressed) }
    public var description: String { String(hex.prefix(10)) }

    public static func == (a: PublicKey, b: PublicKey) -> Bool { a.compressed == b.compressed }
    public func hash(into hasher: inout Hasher) { hasher.combine(compressed) }
}
