#if canImport(Glibc)
import Glibc
#endif

/// A "host:port" as operators write it in a genesis, a member file or
/// node.toml: a host name (resolved when dialled, again on every reconnect),
/// an IPv4 address, or an IPv6 address in brackets (`[2001:db8::7]:7100`).
///
/// Why brackets are required for IPv6: `::1:7100` could be the address
/// `::1:7100` without a port or `::1` with port 7100; the URL convention
/// (RFC 3986) removes the doubt, and the error says so.
public struct PeerAddress: Hashable, Sendable, CustomStringConvertible {
    public enum Kind: Sendable { case name, ipv4, ipv6 }

    /// The host as dialled or bound: a name, or an IP literal without brackets.
    public let host: String
    public let port: Int
    public let kind: Kind

    /// Parses `text`, or throws what is wrong with it and how to write it.
    public init(parsing text: String) throws(PeerAddress.Invalid) {
        func invalid(_ why: String) -> Invalid { Invalid(text: text, reason: why) }
        guard !text.isEmpty else { throw invalid("it is empty") }
        guard text.utf8.count <= 300 else { throw invalid("it is longer than any host name") }
        let hostPart: Substring
        let portPart: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { throw invalid("the IPv6 address has no closing ]") }
            hostPart = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            guard rest.hasPrefix(":") else { throw invalid("a port must follow the ], as in [::1]:7100") }
            portPart = rest.dropFirst()
            guard Self.isIPv6(String(hostPart)) else { throw invalid("\(hostPart) is not an IPv6 address") }
            kind = .ipv6
        } else {
            guard let colon = text.lastIndex(of: ":") else { throw invalid("it has no port; write host:port, as in 10.0.0.2:7100") }
            hostPart = text[..<colon]
            portPart = text[text.index(after: colon)...]
            if hostPart.contains(":") {
                throw invalid("an IPv6 address needs brackets around it, as in [\(hostPart)]:\(portPart)")
            }
            if Self.isIPv4(String(hostPart)) {
                kind = .ipv4
            } else if Self.isHostName(hostPart) {
                kind = .name
            } else {
                throw invalid("\"\(hostPart)\" is neither an IPv4 address nor a host name (letters, digits, - and .)")
            }
        }
        guard let port = Int(portPart), (1...65_535).contains(port) else {
            throw invalid("the port \"\(portPart)\" is not a number from 1 to 65535")
        }
        host = String(hostPart)
        self.port = port
    }

    /// Nil when `text` does not parse (see `init(parsing:)` for why).
    public init?(_ text: String) {
        guard let parsed = try? PeerAddress(parsing: text) else { return nil }
        self = parsed
    }

    /// As written back: IPv6 in brackets.
    public var description: String { kind == .ipv6 ? "[\(host)]:\(port)" : "\(host):\(port)" }

    /// A wildcard address (0.0.0.0 or ::): fine to listen on, never to dial.
    public var isWildcard: Bool {
        switch kind {
        case .ipv4: host == "0.0.0.0"
        case .ipv6: Self.ipv6Bytes(host) == [UInt8](repeating: 0, count: 16)
        case .name: false
        }
    }

    /// A loopback address or `localhost`: reachable from this machine only.
    public var isLoopback: Bool {
        switch kind {
        case .ipv4: host.hasPrefix("127.")
        case .ipv6: Self.ipv6Bytes(host) == [UInt8](repeating: 0, count: 15) + [1]
        case .name: host.lowercased() == "localhost"
        }
    }

    public struct Invalid: Error, CustomStringConvertible, Sendable {
        public let text: String
        public let reason: String
        public var description: String { "\"\(text)\" is not a host:port address: \(reason)" }
    }

    static func isIPv4(_ text: String) -> Bool {
        var address = in_addr()
        return inet_pton(AF_INET, text, &address) == 1
    }

    static func isIPv6(_ text: String) -> Bool { ipv6Bytes(text) != nil }

    static func ipv6Bytes(_ text: String) -> [UInt8]? {
        var address = in6_addr()
        guard inet_pton(AF_INET6, text, &address) == 1 else { return nil }
        return withUnsafeBytes(of: &address) { Array($0) }
    }

    /// RFC 1123 host names: dot-separated labels of 1–63 letters, digits and
    /// hyphens, not starting or ending with a hyphen; 253 characters at most.
    /// A name of digits and dots alone is a mistyped IPv4 address, not a name.
    static func isHostName(_ text: Substring) -> Bool {
        guard !text.isEmpty, text.utf8.count <= 253 else { return false }
        let labels = text.split(separator: ".", omittingEmptySubsequences: false)
        guard labels.allSatisfy({ label in
            !label.isEmpty && label.utf8.count <= 63 && !label.hasPrefix("-") && !label.hasSuffix("-")
                && label.utf8.allSatisfy { $0 == UInt8(ascii: "-") || ($0 >= 48 && $0 <= 57) || ($0 | 0x20 >= 97 && $0 | 0x20 <= 122) }
        }) else { return false }
        return !text.utf8.allSatisfy { $0 == UInt8(ascii: ".") || ($0 >= 48 && $0 <= 57) }
    }
}
