/// A hash table keyed by digests (transaction hashes, block ids), for the
/// tables every committed transaction passes through: the mempool and the
/// committed-transaction filter.
///
/// Why not `Dictionary`: at batch 400 a node probes these tables a few times
/// per transaction, and `perf` on a loaded 4-node cluster put `Dictionary`'s
/// lookups and `Hasher`'s SipHash rounds at 11 % of the machine (2026-12-07).
/// The keys are SHA-256 outputs already, so a keyed multiply of two of their
/// words spreads them as well as SipHash would; and a slot holds its key and
/// value together (open addressing, linear probing), so a probe costs one
/// cache line where `Dictionary` reads a bitmap, a key array and a value array.
///
/// Flooding: a peer chooses transactions, so it chooses their hashes' bits by
/// grinding. The bucket is `(w0 × m0) ⊕ (w1 × m1)`'s top bits, with odd
/// multipliers drawn at random per table and never shown: without them a
/// peer cannot aim keys at one bucket, and two keys that share both words (so
/// collide for every multiplier) cost a 128-bit collision. Equality compares
/// all 32 bytes.
///
/// Bound: none of its own; its owners bound what they insert. Load stays at
/// most 3/4 (the table doubles), and never shrinks: an owner's bound is its
/// peak.
public struct DigestMap<Value> {
    @usableFromInline struct Slot {
        @usableFromInline var key: Bytes32
        /// nil: the slot is empty.
        @usableFromInline var value: Value?
        @inlinable init(key: Bytes32, value: Value?) { self.key = key; self.value = value }
    }

    @usableFromInline var slots: ContiguousArray<Slot>
    /// `slots.count - 1`; `slots.count` is a power of two.
    @usableFromInline var mask: Int
    /// 64 − log2(slots.count): the product's top bits pick the bucket.
    @usableFromInline var shift: UInt64
    @usableFromInline let m0: UInt64, m1: UInt64
    @usableFromInline var stored = 0
    /// The keys held.
    public var count: Int { stored }

    /// Room for `minimumCapacity` keys before the first growth.
    public init(minimumCapacity: Int = 0) {
        var rng = SystemRandomNumberGenerator()
        m0 = rng.next() | 1
        m1 = rng.next() | 1
        var size = 16
        while size * 3 / 4 < minimumCapacity { size *= 2 }
        slots = ContiguousArray(repeating: Slot(key: .zero, value: nil), count: size)
        mask = size - 1
        shift = UInt64(64 - size.trailingZeroBitCount)
    }

    public var isEmpty: Bool { count == 0 }

    @inlinable func bucket(_ key: Bytes32) -> Int { Self.bucket(key, m0: m0, m1: m1, shift: shift) }

    /// The one bucket formula, static so that `removeValue` can use it while
    /// it holds the slots mutably (a method on `self` would overlap that access).
    @inlinable static func bucket(_ key: Bytes32, m0: UInt64, m1: UInt64, shift: UInt64) -> Int {
        Int(truncatingIfNeeded: ((key.w0 &* m0) ^ (key.w1 &* m1)) >> shift)
    }

    /// The slot holding `key`, or the empty slot where it would go.
    @inlinable func find(_ key: Bytes32) -> (index: Int, found: Bool) {
        slots.withUnsafeBufferPointer { slots in
            var i = bucket(key)
            while true {
                if slots[i].value == nil { return (i, false) }
                if slots[i].key == key { return (i, true) }
                i = (i &+ 1) & mask
            }
        }
    }

    public subscript(key: Bytes32) -> Value? {
        @inlinable get {
            let (index, found) = find(key)
            return found ? slots[index].value : nil
        }
        @inlinable set {
            if let newValue { updateValue(newValue, forKey: key) } else { removeValue(forKey: key) }
        }
    }

    @inlinable public func contains(_ key: Bytes32) -> Bool { find(key).found }

    /// Stores `value` under `key`; returns the value it replaced.
    @inlinable @discardableResult
    public mutating func updateValue(_ value: Value, forKey key: Bytes32) -> Value? {
        var (index, found) = find(key)
        if found {
            let old = slots[index].value
            slots[index].value = value
            return old
        }
        if (count + 1) * 4 > slots.count * 3 {
            grow()
            index = find(key).index
        }
        slots[index] = Slot(key: key, value: value)
        stored += 1
        return nil
    }

    /// Removes `key`; returns its value. Backward-shift deletion: the entries
    /// after the hole that probed past it move up, so no tombstones pile up
    /// and a lookup stops at the first empty slot.
    @inlinable @discardableResult
    public mutating func removeValue(forKey key: Bytes32) -> Value? {
        let (found, present) = find(key)
        guard present else { return nil }
        let (mask, m0, m1, shift) = (self.mask, self.m0, self.m1, self.shift)
        let removed = slots.withUnsafeMutableBufferPointer { slots in
            let removed = slots[found].value
            var hole = found
            var next = (hole + 1) & mask
            while slots[next].value != nil {
                let home = Self.bucket(slots[next].key, m0: m0, m1: m1, shift: shift)
                // Moves `next` into the hole unless its home lies cyclically in (hole, next].
                let stays = hole <= next ? (home > hole && home <= next) : (home > hole || home <= next)
                if !stays {
                    slots[hole] = slots[next]
                    hole = next
                }
                next = (next + 1) & mask
            }
            slots[hole] = Slot(key: .zero, value: nil)
            return removed
        }
        stored -= 1
        return removed
    }

    /// Empties the table and keeps its room.
    public mutating func removeAll() {
        for i in slots.indices { slots[i] = Slot(key: .zero, value: nil) }
        stored = 0
    }

    @usableFromInline mutating func grow() {
        let old = slots
        let size = old.count * 2
        slots = ContiguousArray(repeating: Slot(key: .zero, value: nil), count: size)
        mask = size - 1
        shift = UInt64(64 - size.trailingZeroBitCount)
        for slot in old where slot.value != nil {
            slots[find(slot.key).index] = slot
        }
    }
}

extension DigestMap: Sendable where Value: Sendable {}
extension DigestMap.Slot: Sendable where Value: Sendable {}
