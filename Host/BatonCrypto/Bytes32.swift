/// 32 bytes held inline (four words, no heap allocation): hashes, block ids,
/// signature halves. Equality and hashing are word-wise, which matters on the
/// consensus hot path where ids are compared and used as dictionary keys.
public struct Bytes32: Hashable, Sendable, Comparable, CustomStringConvertible {
    public static let count = 32
    public static let zero = Bytes32(words: (0, 0, 0, 0))

    // Big-endian words: comparing words in order compares the bytes in order.
    // Visible to the module's inlinable code (`DigestMap` spreads keys by them).
    @usableFromInline internal var w0: UInt64, w1: UInt64, w2: UInt64, w3: UInt64

    private init(words: (UInt64, UInt64, UInt64, UInt64)) {
        (w0, w1, w2, w3) = words
    }

    /// Nil unless exactly 32 bytes. Inlinable, so that callers in other
    /// modules get it specialized: unspecialized, its generic iteration cost
    /// metadata lookups on every call (seen in profiles of the load generator).
    @inlinable
    public init?(_ bytes: some Collection<UInt8>) {
        guard bytes.count == Self.count else { return nil }
        if let value = bytes.withContiguousStorageIfAvailable({ Bytes32(unsafe: UnsafeRawBufferPointer($0)) }) {
            self = value
        } else {
            self = Array(bytes).withUnsafeBytes { Bytes32(unsafe: $0) }
        }
    }

    /// From a raw 32-byte buffer (e.g. a digest); the caller guarantees the count.
    public init(unsafe raw: UnsafeRawBufferPointer) {
        precondition(raw.count == Self.count, "Bytes32 needs exactly 32 bytes")
        func word(_ i: Int) -> UInt64 { UInt64(bigEndian: raw.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self)) }
        self.init(words: (word(0), word(1), word(2), word(3)))
    }

    public var bytes: [UInt8] { withUnsafeBytes { Array($0) } }

    /// Appends the 32 bytes to `out` without an intermediate array.
    public func append(to out: inout [UInt8]) { withUnsafeBytes { out.append(contentsOf: $0) } }

    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        let big = (w0.bigEndian, w1.bigEndian, w2.bigEndian, w3.bigEndian)
        return try Swift.withUnsafeBytes(of: big) { try body($0) }
    }

    public var hex: String { withUnsafeBytes { Hex.encode($0) } }
    /// The first 4 bytes in hex: enough to tell blocks apart in logs.
    public var short: String { String(hex.prefix(8)) }
    public var description: String { short }

    public static func < (a: Bytes32, b: Bytes32) -> Bool { (a.w0, a.w1, a.w2, a.w3) < (b.w0, b.w1, b.w2, b.w3) }

    /// One word is enough to spread keys: nearly every Bytes32 used as a key
    /// is a SHA-256 output (ids, transaction hashes), and `Hasher` is seeded
    /// per process, so a peer cannot aim values at one bucket. Equality still
    /// compares all four words. (Profiled: hashing 32 bytes was 3% of a node
    /// under load, in the mempool and the committed-transaction filter.)
    public func hash(into hasher: inout Hasher) { hasher.combine(w0) }
}

public enum Hex {
    static let digits = Array("0123456789abcdef".utf8)

    /// Lower-case hex, built as bytes: one allocation for the whole string
    /// (event streams render a hash per transaction).
    public static func encode(_ bytes: some Sequence<UInt8>) -> String {
        var out = [UInt8]()
        out.reserveCapacity(bytes.underestimatedCount * 2)
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0xF)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Nil for odd length or a non-hex character.
    public static func decode(_ text: String) -> [UInt8]? { decode(utf8: Array(text.utf8)) }

    /// Hex digits as UTF-8 bytes (a slice of a received buffer, say) to bytes.
    /// Inlinable, so callers in other modules get it specialized (profiled:
    /// unspecialized, it was 5 % of the machine at batch 400, in the load
    /// generator's event parsing).
    @inlinable
    public static func decode(utf8 chars: some Collection<UInt8>) -> [UInt8]? {
        guard chars.count % 2 == 0 else { return nil }
        var out = [UInt8]()
        out.reserveCapacity(chars.count / 2)
        var high: UInt8?
        for char in chars {
            guard let value = nibble(char) else { return nil }
            if let h = high {
                out.append(h << 4 | value)
                high = nil
            } else {
                high = value
            }
        }
        return out
    }

    @inlinable
    static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case 0x30...0x39: c - 0x30
        case 0x61...0x66: c - 0x61 + 10
        case 0x41...0x46: c - 0x41 + 10
        default: nil
        }
    }
}
