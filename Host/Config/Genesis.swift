import BatonCrypto
import Consensus
import Foundation

/// The chain's founding document, shared by every node: the committee with
/// weights and addresses, the leader seed, and the application.
public struct Genesis: Codable, Sendable {
    public struct Member: Codable, Sendable {
        public var publicKey: String
        public var weight: UInt64
        /// host:port of its consensus listener.
        public var address: String
        /// host:port of its HTTP API.
        public var api: String?

        public init(publicKey: String, weight: UInt64, address: String, api: String? = nil) {
            self.publicKey = publicKey
            self.weight = weight
            self.address = address
            self.api = api
        }
    }

    public var chainID: String
    public var timestampMs: UInt64
    public var leaderSeed: String
    public var members: [Member]
    /// Non-voting followers allowed to connect.
    public var listeners: [String] = []
    /// The application's name (the plugin's own `name`), never a path: the
    /// genesis is shared by machines whose files lie elsewhere. Each node
    /// finds `lib<plugin>.so` in its plugin folder unless its node.toml
    /// names another build of the same application.
    public var plugin: String
    /// Pins: the plugin version, and the SHA-256 of the `.so` every node
    /// must load (`baton plugins inspect` prints it). Optional; checked at start.
    public var pluginVersion: String? = nil
    public var pluginSHA256: String? = nil
    /// The plugin's config, as text (its own format; often JSON).
    public var pluginConfig: String = ""
    /// Who leads each view, for every node alike: "reputation" (LR-1 … LR-8,
    /// also when absent) or "weighted-random" (DESIGN §2's draw alone).
    public var leaderElection: String? = nil

    public init(chainID: String, timestampMs: UInt64, leaderSeed: String, members: [Member], listeners: [String] = [],
                plugin: String, pluginVersion: String? = nil, pluginSHA256: String? = nil, pluginConfig: String = "") {
        self.chainID = chainID
        self.timestampMs = timestampMs
        self.leaderSeed = leaderSeed
        self.members = members
        self.listeners = listeners
        self.plugin = plugin
        self.pluginVersion = pluginVersion
        self.pluginSHA256 = pluginSHA256
        self.pluginConfig = pluginConfig
    }

    /// The replicated application's name (its app state namespace).
    public var application: String { Self.applicationName(plugin) }

    /// The genesis's plugin without directory, "lib" and ".so": genesis files
    /// written before the application was named (a path) keep working.
    public static func applicationName(_ plugin: String) -> String {
        guard plugin.contains("/") || plugin.hasSuffix(".so") else { return plugin }
        var name = Substring(plugin.split(separator: "/").last ?? Substring(plugin))
        if name.hasPrefix("lib") { name = name.dropFirst(3) }
        if name.hasSuffix(".so") { name = name.dropLast(3) }
        return String(name)
    }

    public struct Invalid: Error, CustomStringConvertible, Sendable { public let description: String }

    public static func load(_ path: String) throws(Invalid) -> Genesis {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw Invalid(description: "cannot read genesis file \(path)")
        }
        do { return try JSONDecoder().decode(Genesis.self, from: data) } catch {
            throw Invalid(description: "genesis file \(path) is not valid: \(error)")
        }
    }

    public func write(to path: String) throws { try Self.writeJSON(self, to: path) }

    /// The genesis's JSON layout (indented, keys sorted), for the files
    /// operators read and send: the genesis and member files.
    public static func writeJSON(_ value: some Encodable, to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(value).write(to: URL(fileURLWithPath: path))
    }

    /// The committee, its genesis block, and each member's address.
    public func resolve() throws(Invalid) -> (committee: Committee, genesis: Block, addresses: [(PublicKey, String, Int)]) {
        guard let chain = Hex.decode(chainID).flatMap({ Bytes32($0) }),
              let seed = Hex.decode(leaderSeed).flatMap({ Bytes32($0) }) else {
            throw Invalid(description: "genesis: chainID and leaderSeed must be 64 hex digits")
        }
        var members: [Committee.Member] = []
        var addresses: [(PublicKey, String, Int)] = []
        for member in self.members {
            guard let bytes = Hex.decode(member.publicKey), let key = PublicKey(compressed: bytes) else {
                throw Invalid(description: "genesis: \(member.publicKey) is not a compressed secp256k1 public key")
            }
            let address: PeerAddress
            do { address = try PeerAddress(parsing: member.address) } catch {
                throw Invalid(description: "genesis: member \(member.publicKey.prefix(10))…: \(error)")
            }
            members.append(Committee.Member(publicKey: key, weight: member.weight))
            addresses.append((key, address.host, address.port))
        }
        let committee: Committee
        do { committee = try Committee(chainID: chain, members: members, leaderSeed: seed) } catch {
            throw Invalid(description: "genesis: \(error)")
        }
        return (committee, Block.genesis(chainID: chain, timestampMs: timestampMs), addresses)
    }

    /// The chain's leader election (see `leaderElection`).
    public func leaderElectionRule() throws(Invalid) -> LeaderElectionRule {
        guard let name = leaderElection else { return .standard }
        guard let rule = LeaderElectionRule(name: name) else {
            throw Invalid(description: "genesis: leaderElection \"\(name)\" is not one of \(LeaderElectionRule.names.joined(separator: ", "))")
        }
        return rule
    }

    public var listenerKeys: [PublicKey] { listeners.compactMap { Hex.decode($0).flatMap(PublicKey.init(compressed:)) } }

    /// The host (a name, or an IP literal without brackets) and port of a
    /// "host:port" address (`PeerAddress`).
    public static func split(_ address: String) -> (String, Int)? {
        PeerAddress(address).map { ($0.host, $0.port) }
    }
}
