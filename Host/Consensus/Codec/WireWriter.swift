import BatonCrypto

/// Appends the canonical encoding: big-endian fixed-width integers,
/// length-prefixed byte strings. There is exactly one encoding of each value,
/// so ids and signed bytes are the same on every node.
public struct WireWriter: Sendable {
    public private(set) var bytes: [UInt8] = []

    public init(capacity: Int = 256) { bytes.reserveCapacity(capacity) }

    public mutating func u8(_ v: UInt8) { bytes.append(v) }
    public mutating func u16(_ v: UInt16) { append(v) }
    public mutating func u32(_ v: UInt32) { append(v) }
    public mutating func u64(_ v: UInt64) { append(v) }
    public mutating func bool(_ v: Bool) { bytes.append(v ? 1 : 0) }
    public mutating func bytes32(_ v: Bytes32) { v.append(to: &bytes) }
    public mutating func raw(_ v: [UInt8]) { bytes.append(contentsOf: v) }

    /// u32 length, then the bytes.
    public mutating func blob(_ v: [UInt8]) {
        u32(UInt32(v.count))
        bytes.append(contentsOf: v)
    }

    public mutating func signature(_ s: Signature) {
        bytes32(s.r)
        bytes32(s.s)
    }

    private mutating func append<T: FixedWidthInteger>(_ v: T) {
        withUnsafeBytes(of: v.bigEndian) { bytes.append(contentsOf: $0) }
    }
}
