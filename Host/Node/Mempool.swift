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

    /// Its hash is the table's key, not repeated here: a slot is 56 bytes, and
    /// every probe of the table is a cache line read.
    struct Entry: Sendable {
        let transaction: [UInt8]
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
    /// A `DigestMap`: admission, proposals and commits probe it per transaction.
    private var entries: DigestMap<Entry>
    private(set) public var bytes = 0
    /// Host transactions (upgrade plans and approvals), in arrival order:
    /// their own lane, beside the app's. They do not count against the app's
    /// bounds (a full mempool must not keep a plan from its deadline) and go
    /// first in every proposal; at most `hostTransactionsMax`, and only what a
    /// member signed is ever admitted (`hostAdmissionProblem`).
    private var hostOrder: [Bytes32] = []
    public static let hostTransactionsMax = 64

    public init(limits: Limits = Limits()) {
        self.limits = limits
        entries = DigestMap(minimumCapacity: min(limits.transactionsMax, 1 << 16))
    }

    public var count: Int { entries.count }
    public func contains(_ hash: Bytes32) -> Bool { entries.contains(hash) }
    public func transaction(_ hash: Bytes32) -> [UInt8]? { entries[hash]?.transaction }

    /// `hash`: the transaction's SHA-256 if the caller has it already (the
    /// node hashes before `check_tx`, to skip duplicates): once per transaction.
    /// `finalizedHeight`: the node's, now (for expiry by blocks).
    /// `host`: a host transaction, kept in its own lane (see `hostOrder`).
    public mutating func add(_ transaction: [UInt8], hash known: Bytes32? = nil, nowMs: UInt64,
                             finalizedHeight: Height = 0, host: Bool = false) -> Admission {
        let hash = known ?? SHA256Digest.hash(transaction)
        guard !entries.contains(hash) else { return .duplicate(hash) }
        if host {
            hostOrder.removeAll { !entries.contains($0) }
            guard hostOrder.count < Self.hostTransactionsMax else { return .full }
            hostOrder.append(hash)
        } else {
            guard entries.count - hostOrder.count < limits.transactionsMax, bytes + transaction.count <= limits.bytesMax
            else { return .full }
            order.append(hash)
            bytes += transaction.count
        }
        entries[hash] = Entry(transaction: transaction, addedMs: nowMs, addedHeight: finalizedHeight)
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
        // Host transactions first (beside the app's batch, not in it): few,
        // small, and bound by their plan's deadline.
        for hash in hostOrder where !excluded.contains(hash) {
            guard let entry = entries[hash] else { continue }
            out.append((hash, entry.transaction))
        }
        let hostCount = out.count
        for hash in order[head...] where !excluded.contains(hash) {
            guard let entry = entries[hash] else { continue }
            guard out.count - hostCount < limits.batchTransactionsMax, size + entry.transaction.count <= limits.batchBytesMax
            else { break }
            out.append((hash, entry.transaction))
            size += entry.transaction.count
        }
        return out
    }

    /// Removes `hashes` (committed) and returns when each was admitted here
    /// (nil: not held), in one lookup each: at batch 400 the commit's
    /// dictionary probes were a visible share of a node's profile.
    @discardableResult
    public mutating func remove(_ hashes: [Bytes32]) -> [UInt64?] {
        var removedHost = false
        var admitted: [UInt64?] = []
        admitted.reserveCapacity(hashes.count)
        for hash in hashes {
            guard let entry = entries.removeValue(forKey: hash) else {
                admitted.append(nil)
                continue
            }
            admitted.append(entry.addedMs)
            if hostOrder.contains(hash) { removedHost = true } else { bytes -= entry.transaction.count }
        }
        if removedHost { hostOrder.removeAll { !entries.contains($0) } }
        compact()
        return admitted
    }

    /// Drops the transactions older than `lifetimeMs` and `lifetimeBlocks`:
    /// the oldest are at the front of `order` (on both counts), so this stops
    /// at the first young one.
    mutating func expire(nowMs: UInt64, finalizedHeight: Height? = nil) {
        hostOrder.removeAll { hash in
            guard let entry = entries[hash] else { return true }
            guard nowMs > entry.addedMs + limits.lifetimeMs else { return false }
            if let finalizedHeight, finalizedHeight < entry.addedHeight + limits.lifetimeBlocks { return false }
            entries[hash] = nil
            return true
        }
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
        guard order.count - head > 2 * (entries.count - hostOrder.count) + 64 || head > order.count / 2 + 64 else { return }
        order = order[head...].filter { entries.contains($0) }
        head = 0
    }
}
