import BatonCrypto
import Consensus

#if canImport(Glibc)
import Glibc
#endif

/// `store.id` in a data directory: written once, when the store is created,
/// and never rewritten. It is how a node knows a directory *had* a store:
/// without it, a directory whose `db/` lost its `CURRENT` and WAL looked new,
/// and RocksDB re-initialised it at height 0 and deleted the old tables. With
/// it, creation is decided from the marker and the directory's contents (see
/// `NodeStore.init`), and a store that should be there and is not is a typed
/// error, never a silent restart from genesis.
///
/// Text, one `key value` per line, so an operator can read whose it is:
/// `baton-store 1`, `chain <hex>`, `genesis <hex>`, `node <public key hex>`.
struct StoreMarker: Equatable {
    static let fileName = "store.id"
    static let version = 1

    let chain: Bytes32
    let genesis: Bytes32
    /// The node key the store was created for (nil: created without one, by a tool or a test).
    let node: PublicKey?

    var text: String {
        var lines = ["baton-store \(Self.version)", "chain \(chain.hex)", "genesis \(genesis.hex)"]
        if let node { lines.append("node \(node.hex)") }
        return lines.joined(separator: "\n") + "\n"
    }

    /// nil if the directory has no marker.
    static func read(directory: String) throws(StorageError) -> StoreMarker? {
        let path = directory + "/" + fileName
        guard let bytes = DurableFile.contents(of: path) else {
            if errno == ENOENT { return nil }
            throw StorageError(.io, path: path, "cannot read the store marker: \(String(cString: strerror(errno)))")
        }
        var fields: [String: String] = [:]
        for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n") {
            let parts = line.split(separator: " ", maxSplits: 1)
            if parts.count == 2 { fields[String(parts[0])] = String(parts[1]) }
        }
        guard let version = fields["baton-store"].flatMap({ Int($0) }) else {
            throw StorageError(.corrupted, path: path, "the store marker \(fileName) is unreadable")
        }
        guard version <= Self.version else {
            throw StorageError(.newerSchema, path: path, "store marker version \(version), this binary reads up to \(Self.version)")
        }
        guard let chain = fields["chain"].flatMap(Hex.decode).flatMap(Bytes32.init),
              let genesis = fields["genesis"].flatMap(Hex.decode).flatMap(Bytes32.init) else {
            throw StorageError(.corrupted, path: path, "the store marker \(fileName) lacks its chain or genesis")
        }
        var node: PublicKey?
        if let text = fields["node"] {
            guard let key = Hex.decode(text).flatMap(PublicKey.init(compressed:)) else {
                throw StorageError(.corrupted, path: path, "the store marker's node key is malformed")
            }
            node = key
        }
        return StoreMarker(chain: chain, genesis: genesis, node: node)
    }

    /// Written whole and synced (a temporary file renamed over), so a crash
    /// leaves either no marker or a complete one.
    func write(directory: String) throws(StorageError) {
        try DurableFile.replace(directory + "/" + Self.fileName, with: Array(text.utf8))
    }
}
