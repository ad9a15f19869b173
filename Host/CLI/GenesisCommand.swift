import BatonConfig
import ArgumentParser
import BatonConsole
import Foundation
import Node
import PluginHost

struct GenesisCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "genesis",
        abstract: "Assemble a genesis from the operators' member files (baton init writes them).",
        discussion: """
            Checks every file before writing anything — keys, addresses, weights, a key or an \
            address twice, the plugin — and lists every problem at once. Members vote in the \
            order given; followers track the chain without a vote. Send the genesis to every \
            operator: each puts it at DIR/genesis.json beside their node.toml.
            """)

    @Option(help: "The chain's id: 64 hex digits, or a name the operators agree on (hashed).") var chainID: String
    @Option(help: "The application: a plugin name (lib<name>.so in the plugin folder) or a path to its .so. The genesis records its name.")
    var plugin: String
    @Option(help: "A voting member's file (repeat, in committee order).") var member: [String] = []
    @Option(help: "A follower's member file: it may connect and follow, without a vote (repeat).") var follower: [String] = []
    @Flag(help: "Pin the plugin's version and the SHA-256 of its .so: every node must run that very file.") var pinPlugin = false
    @Option(help: "Plugin config file (its own format), shared by every node.") var pluginConfig: String?
    @Option(help: "Folder of plugin .so files (default: next to baton).") var pluginDir: String?
    @Option(help: "Genesis time, ms since 1970 (default: now).") var timeMs: UInt64?
    @Option(help: "Where to write the genesis (must not exist).") var out: String

    func run() throws {
        guard !FileManager.default.fileExists(atPath: out) else {
            throw ValidationError("\(out) exists; a genesis is never overwritten (choose another path)")
        }
        let pinned = try PinnedPlugin(plugin, pluginDirectory: pluginDir, pin: pinPlugin)
        let (library, digest) = (pinned.library, pinned.sha256)
        let config: String
        do { config = try pluginConfig.map { try String(contentsOfFile: $0, encoding: .utf8) } ?? "" } catch {
            throw ValidationError("--plugin-config \(pluginConfig ?? ""): \(error.localizedDescription)")
        }
        do {
            let members = try member.map { path throws(GenesisAssembly.Problems) in (path, try GenesisAssembly.loadMember(path)) }
            let followers = try follower.map { path throws(GenesisAssembly.Problems) in (path, try GenesisAssembly.loadMember(path)) }
            let assembly = GenesisAssembly(
                chainID: chainID, members: members, followers: followers, plugin: library.info.name,
                pluginVersion: pinPlugin ? library.info.version : nil, pluginSHA256: digest, pluginConfig: config,
                timestampMs: timeMs ?? UInt64(Date().timeIntervalSince1970 * 1_000))
            let (genesis, warnings) = try assembly.assemble()
            for warning in warnings { printError("warning: \(warning)") }
            try genesis.write(to: out)
            print("""
                genesis of chain \(genesis.chainID.prefix(16))… written to \(out): \(members.count) members\
                \(followers.isEmpty ? "" : ", \(followers.count) followers"), application \(library.info.name) \
                \(library.info.version)\(pinPlugin ? " (pinned, sha256 \(digest!.prefix(16))…)" : "")
                send it to every operator (DIR/genesis.json beside their node.toml)
                """)
        } catch let problems as GenesisAssembly.Problems {
            printError("error: \(problems)")
            throw ExitCode.failure
        }
    }
}
