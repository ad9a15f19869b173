import BatonConfig
import ArgumentParser
import BatonCrypto
import Consensus
import Foundation
import Node
import PluginHost

struct TestnetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "testnet",
        abstract: "Write a local test network: a genesis and one folder per node (key, config, data).",
        discussion: """
            DIR/genesis.json holds the chain id, the committee's public keys, weights and \
            addresses on 127.0.0.1, and the plugin. DIR/node-I/ holds key.json (mode 0600) and \
            node.toml. Run a node with: baton node --config DIR/node-0/node.toml
            """)

    @Option(help: "Committee size.") var nodes = 4
    @Option(help: "Folder to create (must not exist yet).") var dir: String
    @Option(help: "Application plugin: a name (lib<name>.so in the plugin folder) or a path to a .so. The genesis records the application's name, never the path.") var plugin = "robot"
    @Flag(help: "Pin the plugin's version and the SHA-256 of its .so in the genesis: every node must run that very file.") var pinPlugin = false
    @Option(help: "Plugin config file (its own format).") var pluginConfig: String?
    @Option(help: "First consensus port; node I listens on P+I and serves its API on P+100+I.") var basePort = 7100
    @Option(help: "Folder of plugin .so files for the nodes (default: next to baton).") var pluginDir: String?
    @Option(help: ArgumentHelp("Node-local plugin config written to each node.toml as plugin_config; {index} becomes the node's index and {index+N} the index plus N (e.g. \"chain = 127.0.0.1:{index+8600}\").", valueName: "template"))
    var nodePluginConfig: String?
    @Option(help: "Non-voting follower nodes (follower-I folders) that track the chain and serve the API.") var followers = 0
    @Option(help: "Who leads each view: reputation (leader reputation from committed history) or weighted-random.")
    var leaderElection = "reputation"

    func run() throws {
        guard (1...64).contains(nodes) else { throw ValidationError("--nodes must be 1...64") }
        guard LeaderElectionRule(name: leaderElection) != nil else {
            throw ValidationError("--leader-election is one of \(LeaderElectionRule.names.joined(separator: ", ")), not '\(leaderElection)'")
        }
        guard !FileManager.default.fileExists(atPath: dir) else {
            throw ValidationError("\(dir) exists; choose a new folder (a testnet never overwrites one)")
        }
        let pinned = try PinnedPlugin(plugin, pluginDirectory: pluginDir, pin: pinPlugin)
        let (library, digest) = (pinned.library, pinned.sha256)
        // A path, or a file named other than its application (another build
        // of it): each node.toml names the file; the genesis the application.
        let application = library.info.name
        let override: String? = plugin == application ? nil
            : plugin.contains("/") || plugin.hasSuffix(".so") ? URL(fileURLWithPath: plugin).path : plugin
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let keys = (0..<nodes).map { _ in PrivateKey.generate() }
        let followerKeys = (0..<followers).map { _ in PrivateKey.generate() }
        let genesis = Genesis(
            chainID: SHA256Digest.hash(Array("baton-testnet-\(UInt64.random(in: 0 ... .max))".utf8)).hex,
            timestampMs: UInt64(Date().timeIntervalSince1970 * 1_000),
            leaderSeed: SHA256Digest.hash(keys.flatMap(\.publicKey.compressed)).hex,
            members: keys.enumerated().map { i, key in
                Genesis.Member(publicKey: key.publicKey.hex, weight: 1, address: "127.0.0.1:\(basePort + i)",
                               api: "127.0.0.1:\(basePort + 100 + i)")
            },
            listeners: followerKeys.map(\.publicKey.hex),
            plugin: application,
            pluginVersion: pinPlugin ? library.info.version : nil,
            pluginSHA256: digest,
            pluginConfig: try pluginConfig.map { try String(contentsOfFile: $0, encoding: .utf8) } ?? "")
        var chosen = genesis
        chosen.leaderElection = leaderElection
        try chosen.write(to: dir + "/genesis.json")
        let all = keys.enumerated().map { ("node-\($0)", $0, $1) }
            + followerKeys.enumerated().map { ("follower-\($0)", nodes + $0, $1) }
        for (name, i, key) in all {
            let folder = dir + "/" + name
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            try KeyFile.write(key, to: folder + "/key.json")
            let toml = NodeTOML(genesisFile: "../genesis.json", listen: "127.0.0.1:\(basePort + i)",
                                api: "127.0.0.1:\(basePort + 100 + i)", pluginDir: pluginDir, plugin: override,
                                pluginConfig: nodePluginConfig.map { Self.expand($0, index: i) }).text
            try toml.write(toFile: folder + "/node.toml", atomically: true, encoding: .utf8)
        }
        print("testnet of \(nodes) nodes\(followers > 0 ? " and \(followers) followers" : "") in \(dir) (application \(application) \(library.info.version)\(pinPlugin ? ", pinned" : "")); start each with:")
        for (name, _, _) in all { print("  baton node --config \(dir)/\(name)/node.toml") }
    }

    /// Replaces `{index}` with `index` and `{index+N}` with `index + N`.
    static func expand(_ template: String, index: Int) -> String {
        var out = ""
        var rest = Substring(template)
        while let open = rest.range(of: "{index") {
            out += rest[..<open.lowerBound]
            let after = rest[open.upperBound...]
            if after.hasPrefix("}") {
                out += "\(index)"
                rest = after.dropFirst()
            } else if after.hasPrefix("+"), let close = after.firstIndex(of: "}"), let n = Int(after[after.index(after: after.startIndex)..<close]) {
                out += "\(index + n)"
                rest = after[after.index(after: close)...]
            } else {
                out += "{index"
                rest = after
            }
        }
        return out + rest
    }
}
