import PluginHost
import Storage

/// A plugin's `AppStateStore` on the node's RocksDB: reads from its own
/// namespace; a commit's writes are staged and land in the same atomic batch
/// as the finalized block (`NodeStore.commit`).
public final class RocksAppStateStore: AppStateStore {
    let namespace: AppNamespace

    public init(_ store: NodeStore, plugin name: String) { namespace = store.app(name) }

    public func value(forKey key: [UInt8]) throws(AppStateStoreError) -> [UInt8]? {
        do { return try namespace.value(forKey: key) } catch { throw AppStateStoreError("\(error)") }
    }

    public func forEach(withPrefix prefix: [UInt8], _ visit: ([UInt8], [UInt8]) -> Bool) throws(AppStateStoreError) {
        do { try namespace.forEach(withPrefix: prefix, visit) } catch { throw AppStateStoreError("\(error)") }
    }

    public func apply(_ writes: AppStateWrites) { namespace.stage(writes.changes.map { ($0.key.bytes, $0.value) }) }
}
