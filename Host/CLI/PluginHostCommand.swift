import ArgumentParser
import BatonCrypto
import Foundation
import Node

/// `baton plugin-host`: the child process of `plugin_isolation = "process"`.
/// The node starts it with the socket on standard input; an operator never
/// runs it by hand (it serves nothing else).
struct PluginHostCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plugin-host",
        abstract: "Runs a plugin in its own process for a node (plugin_isolation = \"process\"); started by the node.",
        shouldDisplay: false)

    @Option(help: "The plugin's .so.") var plugin: String
    @Option(help: "The plugin's config bytes, hex.") var configHex = ""
    @Flag(help: "This instance commits: keep the committed values it reads and writes.") var cachesReads = false

    func run() throws {
        guard let config = Hex.decode(configHex) else {
            throw ValidationError("--config-hex must be an even number of hex digits")
        }
        throw ExitCode(PluginChild.run(plugin: plugin, config: config, cachesReads: cachesReads))
    }
}
