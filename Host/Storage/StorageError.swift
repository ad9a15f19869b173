/// Why storage cannot be used. Each says what to do; nothing is ever silently
/// re-initialised.
public struct StorageError: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Kind: Hashable, Sendable {
        case missingDirectory
        case otherChain
        case newerSchema
        case locked
        case corrupted
        case io
        case notInitialized
    }

    public let kind: Kind
    public let path: String
    public let detail: String

    init(_ kind: Kind, path: String, _ detail: String) {
        self.kind = kind
        self.path = path
        self.detail = detail
    }

    public var description: String {
        switch kind {
        case .missingDirectory:
            "\(path): no data directory here. Create the node's directory first (baton testnet writes one), or fix data_dir in the config."
        case .otherChain:
            "\(path): this data directory belongs to another chain (\(detail)). Point the node at its own directory; never reuse one across chains."
        case .newerSchema:
            "\(path): written by a newer Baton (\(detail)). Upgrade this binary; an older one must not touch it."
        case .locked:
            "\(path): already open in another process (\(detail)). Stop the other node using this directory first."
        case .corrupted:
            "\(path): the database is corrupted (\(detail)). Restore it from a backup or a peer; do not delete it without keeping a copy."
        case .io:
            "\(path): storage failed: \(detail)"
        case .notInitialized:
            "\(path): a directory exists but holds no Baton store (\(detail)). Initialise it explicitly, or point to the right directory."
        }
    }
}
