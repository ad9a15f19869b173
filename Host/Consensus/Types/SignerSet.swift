/// Which committee members signed a certificate: a bitmap over validator
/// indices. Iteration is in ascending index order, which is the order of the
/// certificate's signatures.
public struct SignerSet: Hashable, Sendable, Sequence {
    /// Bits in the bitmap (the committee size when built).
    public let capacity: Int
    private var words: [UInt64]

    public init(capacity: Int) {
        self.capacity = capacity
        words = [UInt64](repeating: 0, count: (capacity + 63) / 64)
    }

    public init<S: Sequence>(capacity: Int, members: S) where S.Element == ValidatorIndex {
        self.init(capacity: capacity)
        for member in members { insert(member) }
    }

    /// Returns false if out of range or already present.
    @discardableResult
    public mutating func insert(_ index: ValidatorIndex) -> Bool {
        let i = Int(index)
        guard i < capacity, !contains(index) else { return false }
        words[i / 64] |= 1 << UInt64(i % 64)
        return true
    }

    public func contains(_ index: ValidatorIndex) -> Bool {
        let i = Int(index)
        return i < capacity && words[i / 64] & (1 << UInt64(i % 64)) != 0
    }

    public var count: Int { words.reduce(0) { $0 + $1.nonzeroBitCount } }
    public var isEmpty: Bool { words.allSatisfy { $0 == 0 } }

    public func makeIterator() -> AnyIterator<ValidatorIndex> {
        var next = 0
        return AnyIterator {
            while next < capacity {
                defer { next += 1 }
                if contains(ValidatorIndex(next)) { return ValidatorIndex(next) }
            }
            return nil
        }
    }
}

extension SignerSet: WireCodable {
    /// u16 capacity, then ceil(capacity / 8) bytes, bit i of byte i/8 for index i.
    public func encode(to writer: inout WireWriter) {
        writer.u16(UInt16(capacity))
        var bytes = [UInt8](repeating: 0, count: (capacity + 7) / 8)
        for index in self { bytes[Int(index) / 8] |= 1 << UInt8(Int(index) % 8) }
        writer.raw(bytes)
    }

    public init(from reader: inout WireReader) throws(WireDecodingError) {
        let capacity = Int(try reader.u16("signers.capacity"))
        guard capacity <= reader.limits.signersMax else {
            throw WireDecodingError(.tooLarge, field: "signers", detail: "\(capacity) > \(reader.limits.signersMax)")
        }
        let bytes = try reader.raw((capacity + 7) / 8, "signers.bitmap")
        self.init(capacity: capacity)
        for (byteIndex, byte) in bytes.enumerated() where byte != 0 {
            for bit in 0..<8 where byte & (1 << UInt8(bit)) != 0 {
                let index = byteIndex * 8 + bit
                // Canonical: no bits past the capacity.
                guard index < capacity else {
                    throw WireDecodingError(.invalidValue, field: "signers.bitmap", detail: "bit \(index) past capacity")
                }
                insert(ValidatorIndex(index))
            }
        }
    }
}
