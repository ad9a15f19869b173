import BatonCrypto
import Testing

/// `DigestMap` against `Dictionary` as the model: the same operations, the
/// same answers, through growth, wrap-around and backward-shift deletion.
@Suite struct DigestMapTests {
    /// SplitMix64: a reproducible stream for the operation sequences.
    struct Stream {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    /// A key from two halves: keys with the same `high` share the two words
    /// the table spreads by, so they land in one bucket whatever its multipliers.
    static func key(high: UInt64, low: UInt64) -> Bytes32 {
        var bytes = [UInt8](repeating: 0, count: 32)
        for i in 0..<8 {
            bytes[i] = UInt8(truncatingIfNeeded: high >> (8 * i))
            bytes[8 + i] = UInt8(truncatingIfNeeded: high >> (8 * i + 3))
            bytes[24 + i] = UInt8(truncatingIfNeeded: low >> (8 * i))
        }
        return Bytes32(bytes)!
    }

    /// Random inserts, updates, removals and lookups over a key set small
    /// enough that every operation often hits a present key; `highs` few
    /// makes long clusters of keys that share a bucket.
    func run(operations: Int, keys: UInt64, highs: UInt64, seed: UInt64) {
        var stream = Stream(state: seed)
        var map = DigestMap<UInt64>()
        var model: [Bytes32: UInt64] = [:]
        for step in 0..<operations {
            let r = stream.next()
            let key = Self.key(high: (r >> 8) % highs, low: (r >> 24) % keys)
            switch r % 4 {
            case 0, 1:
                let value = stream.next()
                #expect(map.updateValue(value, forKey: key) == model.updateValue(value, forKey: key), "step \(step)")
            case 2:
                #expect(map.removeValue(forKey: key) == model.removeValue(forKey: key), "step \(step)")
            default:
                #expect(map[key] == model[key], "step \(step)")
                #expect(map.contains(key) == (model[key] != nil), "step \(step)")
            }
            #expect(map.count == model.count)
        }
        for (key, value) in model { #expect(map[key] == value) }
    }

    @Test func agreesWithDictionaryThroughGrowthAndRemovals() {
        run(operations: 60_000, keys: 5_000, highs: 1 << 40, seed: 1)
    }

    @Test func agreesWithDictionaryWhenKeysShareBuckets() {
        // 8 buckets' worth of keys for thousands of keys: clusters hundreds
        // long, wrapping past the table's end, emptied from the middle.
        run(operations: 40_000, keys: 400, highs: 8, seed: 2)
    }

    @Test func removingEverythingLeavesAnEmptyTableThatStillWorks() {
        var map = DigestMap<Int>(minimumCapacity: 100)
        let keys = (0..<1_000).map { Self.key(high: UInt64($0 % 3), low: UInt64($0)) }
        for (i, key) in keys.enumerated() { map[key] = i }
        #expect(map.count == 1_000)
        for key in keys.reversed() { #expect(map.removeValue(forKey: key) != nil) }
        #expect(map.isEmpty)
        for key in keys { #expect(map[key] == nil) }
        map[keys[7]] = 7
        #expect(map[keys[7]] == 7 && map.count == 1)
        map.removeAll()
        #expect(map.isEmpty && map[keys[7]] == nil)
    }
}
