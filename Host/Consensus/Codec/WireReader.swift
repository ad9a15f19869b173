import BatonCrypto

/// Reads the canonical encoding with every length checked against what is
/// left and against `WireLimits` before anything is allocated.
public struct WireReader {
    private let bytes: [UInt8]
    private var offset = 0
    public let limits: WireLimits

    public init(_ bytes: [UInt8], limits: WireLimits = .standard) {
        self.bytes = bytes
        self.limits = limits
    }

    public var remaining: Int { bytes.count - offset }

    public mutating func u8(_ field: String) throws(WireDecodingError) -> UInt8 {
        guard remaining >= 1 else { throw WireDecodingError(.truncated, field: field) }
        defer { offset += 1 }
        return bytes[offset]
    }

    public mutating func u16(_ field: String) throws(WireDecodingError) -> UInt16 { try integer(field) }
    public mutating func u32(_ field: String) throws(WireDecodingError) -> UInt32 { try integer(field) }
    public mutating func u64(_ field: String) throws(WireDecodingError) -> UInt64 { try integer(field) }

    public mutating func bool(_ field: String) throws(WireDecodingError) -> Bool {
        switch try u8(field) {
        case 0: return false
        case 1: return true
        case let other: throw WireDecodingError(.invalidValue, field: field, detail: "boolean byte \(other)")
        }
    }

    public mutating func bytes32(_ field: String) throws(WireDecodingError) -> Bytes32 {
        guard remaining >= 32 else { throw WireDecodingError(.truncated, field: field) }
        defer { offset += 32 }
        return bytes.withUnsafeBytes { Bytes32(unsafe: UnsafeRawBufferPointer(rebasing: $0[offset..<offset + 32])) }
    }

    public mutating func raw(_ count: Int, _ field: String) throws(WireDecodingError) -> [UInt8] {
        guard count >= 0, remaining >= count else { throw WireDecodingError(.truncated, field: field) }
        defer { offset += count }
        return Array(bytes[offset..<offset + count])
    }

    /// A u32-length-prefixed byte string of at most `max` bytes.
    public mutating func blob(_ field: String, max: Int) throws(WireDecodingError) -> [UInt8] {
        let count = Int(try u32(field))
        guard count <= max else { throw WireDecodingError(.tooLarge, field: field, detail: "\(count) > \(max) bytes") }
        return try raw(count, field)
    }

    public mutating func signature(_ field: String) throws(WireDecodingError) -> Signature {
        Signature(r: try bytes32(field), s: try bytes32(field))
    }

    /// A count prefix (u16) checked against `max` and against the bytes left
    /// (each element needs at least `minElementBytes`), before any allocation.
    public mutating func count(_ field: String, max: Int, minElementBytes: Int) throws(WireDecodingError) -> Int {
        let n = Int(try u16(field))
        guard n <= max else { throw WireDecodingError(.tooLarge, field: field, detail: "\(n) > \(max)") }
        guard n * minElementBytes <= remaining else { throw WireDecodingError(.truncated, field: field) }
        return n
    }

    public func expectEnd(_ field: String) throws(WireDecodingError) {
        guard remaining == 0 else { throw WireDecodingError(.trailingBytes, field: field, detail: "\(remaining) bytes") }
    }

    private mutating func integer<T: FixedWidthInteger>(_ field: String) throws(WireDecodingError) -> T {
        let size = MemoryLayout<T>.size
        guard remaining >= size else { throw WireDecodingError(.truncated, field: field) }
        var value: T = 0
        for byte in bytes[offset..<offset + size] { value = value << 8 | T(byte) }
        offset += size
        return value
    }
}

/// A value with one canonical encoding.
public protocol WireCodable: Sendable {
    func encode(to writer: inout WireWriter)
    init(from reader: inout WireReader) throws(WireDecodingError)
}

extension WireCodable {
    public var encoded: [UInt8] {
        var writer = WireWriter()
        encode(to: &writer)
        return writer.bytes
    }

    /// Decodes exactly one value: trailing bytes are an error.
    public static func decode(_ bytes: [UInt8], limits: WireLimits = .standard) throws(WireDecodingError) -> Self {
        var reader = WireReader(bytes, limits: limits)
        let value = try Self(from: &reader)
        try reader.expectEnd(String(describing: Self.self))
        return value
    }
}
