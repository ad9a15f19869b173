import BatonCrypto
import Consensus

/// Transactions waiting for a block: deduplicated by SHA-256, in arrival
/// order, bounded in count and bytes. Admission (the app's `check_tx`) is the
/// caller's; this only keeps what was admitted.
public struct Mempool: Sendable {
    public struct Limits: Sendable, Hashable {
        public var transactionsMax = 10_000
        public var bytesMax = 64 * 1024 * 1024
        /// What one proposal may take.
        public var batchTransactionsMax = 400
        public var batchBytesMax = 2 * 1024 * 1024
        /// A transaction no block took within this time *and* this many
        /// finalized blocks is dropped (e.g. a robot command the grid forbids
        /// from where the robot stands). Both: a stalled chain finalizes no
        /// blocks, so it expires nothing — what was accepted with 202 waits for
        /// the chain to move again instead of being dropped by the clock.
        public var lifetimeMs: UInt64 = 60_000
        public var lifetimeBlocks: Height = 20
        public init() {}
    }

    public enum Admission: Sendable, Hashable {
        case added(Bytes32)
        case duplicate(Bytes32)
        case full
    }

    struct Entry: Sendable {
        let transaction: [UInt8]
        let hash: Bytes32
        let addedMs: UInt64
        /// The finalized height when it was added.
        let addedHeight: Height
    }

    public let limits: Limits
    /// Arrival order; `order[head...]` is live (entries removed since may
    /// still be listed and are skipped). Arrival order is also age order, so
    /// expiry only ever looks at the front.
    private var order: [Bytes32] = []
    private var head = 0
    private var entries: [Bytes32: Entry] = [:]
    private(set) public var bytes = 0

    public init(limits: Limits = Limits()) { self.limits = limits }

    public var count: Int { entries.count }
    public func contains(_ hash: Bytes32) -> Bool { entries[hash] != nil }
    public func transaction(_ hash: Bytes32) -> [UInt8]? { entries[hash]?.transaction }

    /// `hash`: the transaction's SHA-256 if the caller has it already (the
    /// node hashes before `check_tx`, to skip duplicates): once per transaction.
    /// `finalizedHeight`: the node's, now (for expiry by blocks).
    public mutating func add(_ transaction: [UInt8], hash known: Bytes32? = nil, nowMs: UInt64,
                             finalizedHeight: Height = 0) -> Admission {
        let hash = known ?? SHA256Digest.hash(transaction)
        guard entries[hash] == nil else { return .duplicate(hash) }
        guard entries.count < limits.transactionsMax, bytes + transaction.count <= limits.bytesMax else { return .full }
        entries[hash] = Entry(transaction: transaction, hash: hash, addedMs: nowMs, addedHeight: finalizedHeight)
        order.append(hash)
        bytes += transaction.count
        return .added(hash)
    }

    /// The oldest transactions that fit one proposal (expired ones are dropped
    /// first), skipping `excluded`: those already carried by blocks that are
    /// proposed but not yet committed (pipelining would include them twice).
    /// `finalizedHeight` nil: expiry by the clock alone (tests of the clock rule).
    public mutating func batch(nowMs: UInt64, finalizedHeight: Height? = nil,
                               excluding excluded: Set<Bytes32> = []) -> [(hash: Bytes32, transaction: [UInt8])] {
        expire(nowMs: nowMs, finalizedHeight: finalizedHeight)
        var out: [(Bytes32, [UInt8])] = []
        var size = 0
        for hash in order[head...] where !excluded.contains(hash) {
            guard let entry = entries[hash] else { continue }
            guard out.count < limits.batchTransactionsMax, size + entry.transaction.count <= limits.batchBytesMax else { break }
            out.append((hash, entry.transaction))
            size += entry.transaction.count
        }
        return out
    }

    public mutating func remove(_ hashes: [Bytes32]) {
        for hash in hashes {
            if let entry = entries.removeValue(forKey: hash) { bytes -= entry.transaction.count }
        }
        compact()
    }

    /// Drops the transactions older than `lifetimeMs` and `lifetimeBlocks`:
    /// the oldest are at the front of `order` (on both counts), so this stops
    /// at the first young one.
    mutating func expire(nowMs: UInt64, finalizedHeight: Height? = nil) {
        while head < order.count {
            let hash = order[head]
            if let entry = entries[hash] {
                guard nowMs > entry.addedMs + limits.lifetimeMs else { break }
                if let finalizedHeight, finalizedHeight < entry.addedHeight + limits.lifetimeBlocks { break }
                entries[hash] = nil
                bytes -= entry.transaction.count
            }
            head += 1
        }
        compact()
    }

    /// Keeps `order` from growing without bound: forgets the consumed front
    /// and the removed entries once they outnumber the live ones.
    private mutating func compact() {
        guard order.count - head > 2 * entries.count + 64 || head > order.count / 2 + 64 else { return }
        order = order[head...].filter { entries[$0] != nil }
        head = 0
    }
}
