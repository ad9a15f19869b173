import Foundation

/// The node.toml `baton testnet` and `baton init` write, in one layout, so
/// that what an operator reads matches what the README and tests show.
struct NodeTOML {
    var genesisFile: String
    var listen: String
    var api: String
    var pluginDir: String?
    var plugin: String?
    var pluginConfig: String?
    /// A first line saying who wrote the file (init: the operator keeps it).
    var header: String?

    var text: String {
        var toml = header.map { "# \($0)\n" } ?? ""
        toml += """
            key_file = "key.json"
            genesis_file = \(Self.quoted(genesisFile))
            data_dir = "data"
            listen = \(Self.quoted(listen))
            api = \(Self.quoted(api))

            """
        if let pluginDir { toml += "plugin_dir = \(Self.quoted(URL(fileURLWithPath: pluginDir).path))\n" }
        if let plugin { toml += "plugin = \(Self.quoted(plugin))\n" }
        if let pluginConfig { toml += "plugin_config = \(Self.quoted(pluginConfig))\n" }
        toml += """

            [consensus]
            # A view times out after timeout_ms_base, doubling up to timeout_ms_max; across a
            # WAN keep the base well above a few round trips between the farthest members.
            timeout_ms_base = 1000
            timeout_ms_max = 10000
            idle_block_interval_ms = 300

            """
        return toml
    }

    /// A TOML basic string.
    static func quoted(_ text: String) -> String {
        "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n") + "\""
    }
}
