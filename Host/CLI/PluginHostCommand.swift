import ArgumentParser
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
        guard configHex.count % 2 == 0, let config = Self.bytes(hex: configHex) else {
            throw ValidationError("--config-hex must be an even number of hex digits")
        }
        throw ExitCode(PluginChild.run(plugin: plugin, config: config, cachesReads: cachesReads))
    }

    static func bytes(hex: String) -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(hex.count / 2)
        var iterator = hex.utf8.makeIterator()
        while let high = iterator.next(), let low = iterator.next() {
            guard let h = digit(high), let l = digit(low) else { return nil }
            out.append(h << 4 | l)
        }
        return out
    }

    private static func digit(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
        default: nil
        }
    }
}
