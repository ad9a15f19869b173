/// Why bytes from a peer are not a message. Always a value: decoding never traps.
public struct WireDecodingError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Kind: Sendable, Hashable {
        case truncated
        case trailingBytes
        case unknownVersion
        case unknownKind
        case tooLarge
        case invalidValue
    }

    public let kind: Kind
    /// What was being read, e.g. "block.payload".
    public let field: String
    public let detail: String

    public init(_ kind: Kind, field: String, detail: String = "") {
        self.kind = kind
        self.field = field
        self.detail = detail
    }

    public var description: String {
        let what: String = switch kind {
        case .truncated: "message ends inside"
        case .trailingBytes: "unexpected bytes after"
        case .unknownVersion: "unknown wire version in"
        case .unknownKind: "unknown message kind in"
        case .tooLarge: "over its bound:"
        case .invalidValue: "invalid"
        }
        return detail.isEmpty ? "\(what) \(field)" : "\(what) \(field) (\(detail))"
    }
}
