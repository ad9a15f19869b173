#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where an application's state lives, seen through one plugin's namespace.
///
/// The host's key-value callbacks (`baton_host.kv_*`) are served from here.
/// Reads see committed state; writes arrive only as a whole `AppStateWrites`
/// set staged during one `commit_block`, so a block's effects land atomically.
/// `apply` hands them over: the in-memory store applies them at once; the
/// node's RocksDB store holds them for the batch that records the block in the
/// finalized index, so app state and finalized height always agree.
public protocol AppStateStore: AnyObject {
    func value(forKey key: [UInt8]) throws(AppStateStoreError) -> [UInt8]?
    /// Visits keys starting with `prefix` in ascending bytewise order until
    /// `visit` returns false.
    func forEach(withPrefix prefix: [UInt8], _ visit: ([UInt8], [UInt8]) -> Bool) throws(AppStateStoreError)
    func apply(_ writes: AppStateWrites) throws(AppStateStoreError)
}

public struct AppStateStoreError: Error, Sendable, Hashable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { "app state store: \(message)" }
}

/// An app-state key that hashes its bytes in one call: `[UInt8]`'s own
/// `Hashable` feeds the hasher one byte at a time, which profiled at ~4 % of a
/// node's CPU under load (every transaction's write passes through here).
/// Equality compares the bytes in one `memcmp` for the same reason (the
/// derived one compares element by element).
public struct StateKey: Hashable, Sendable {
    public let bytes: [UInt8]
    public init(_ bytes: [UInt8]) { self.bytes = bytes }
    public func hash(into hasher: inout Hasher) { bytes.withUnsafeBytes { hasher.combine(bytes: $0) } }
    public static func == (lhs: StateKey, rhs: StateKey) -> Bool {
        lhs.bytes.count == rhs.bytes.count && lhs.bytes.withUnsafeBytes { left in
            rhs.bytes.withUnsafeBytes { right in left.count == 0 || memcmp(left.baseAddress!, right.baseAddress!, left.count) == 0 }
        }
    }
}

/// The writes of one commit: key → new value, or nil for a delete.
public struct AppStateWrites: Sendable, Hashable {
    public private(set) var changes: [StateKey: [UInt8]?] = [:]
    public init() {}
    /// Room for `count` keys at once (a decoded commit knows how many come).
    public init(reservingCapacity count: Int) { changes.reserveCapacity(count) }
    public var isEmpty: Bool { changes.isEmpty }
    public mutating func put(_ key: [UInt8], _ value: [UInt8]) { changes[StateKey(key)] = .some(value) }
    public mutating func delete(_ key: [UInt8]) { changes[StateKey(key)] = .some(nil) }
    /// `nil` if untouched, `.some(nil)` if deleted.
    public func staged(_ key: [UInt8]) -> [UInt8]?? { changes[StateKey(key)] }
}

/// An `AppStateStore` in memory: for tests and tools (`baton plugins`), not
/// for a node (its state must survive a restart; that is the RocksDB store).
public final class InMemoryAppStateStore: AppStateStore {
    private var entries: [[UInt8]: [UInt8]] = [:]

    public init() {}

    public var count: Int { entries.count }

    public func value(forKey key: [UInt8]) -> [UInt8]? { entries[key] }

    public func forEach(withPrefix prefix: [UInt8], _ visit: ([UInt8], [UInt8]) -> Bool) {
        let matching = entries.filter { $0.key.starts(with: prefix) }.sorted { $0.key.lexicographicallyPrecedes($1.key) }
        for (key, value) in matching where !visit(key, value) { return }
    }

    public func apply(_ writes: AppStateWrites) {
        for (key, value) in writes.changes {
            if let value { entries[key.bytes] = value } else { entries.removeValue(forKey: key.bytes) }
        }
    }
}
