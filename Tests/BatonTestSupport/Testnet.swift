import Foundation

/// A `baton testnet` folder: genesis, keys and one node.toml per node.
public struct Testnet: Sendable {
    public let directory: String
    /// The consensus ports start here (APIs at +100); the span is free.
    public let basePort: Int
    /// node-0 … node-(n-1), then follower-0 …
    public let configs: [String]
    public var genesis: String { directory + "/genesis.json" }

    /// Writes a testnet of `nodes` members (and `followers`) for `plugin`
    /// into `directory` (a fresh temporary one by default), on free ports.
    public init(nodes: Int = 4, plugin: String = "robot", followers: Int = 0, extraArguments: [String] = [],
                directory: String? = nil, basePort: Int? = nil, pluginDirectory: String = Paths.binDirectory) async throws {
        // `baton testnet` creates the folder itself and never writes into an existing one.
        let directory = directory ?? FileManager.default.temporaryDirectory
            .appendingPathComponent("baton-testnet-\(UUID().uuidString)").path
        let port = basePort ?? Ports.freeBase()
        let run = try await runProcess("baton", ["testnet", "--dir", directory, "--nodes", "\(nodes)", "--plugin", plugin,
                                           "--base-port", "\(port)", "--plugin-dir", pluginDirectory,
                                           "--followers", "\(followers)"] + extraArguments)
        guard run.status == 0 else { throw TestnetFailed(description: "baton testnet failed: \(run.output)") }
        TemporaryDirectories.remember(directory)
        self.directory = directory
        self.basePort = port
        configs = (0..<nodes).map { "\(directory)/node-\($0)/node.toml" }
            + (0..<followers).map { "\(directory)/follower-\($0)/node.toml" }
    }

    /// A testnet already written (e.g. by a suite's own helper).
    public init(existing directory: String, basePort: Int, configs: [String]) {
        self.directory = directory
        self.basePort = basePort
        self.configs = configs
    }

    /// Node `index`'s HTTP API, host:port.
    public func api(_ index: Int) -> String { "127.0.0.1:\(basePort + 100 + index)" }

    /// Adds top-level settings to node `index`'s node.toml (before its tables).
    public func configure(_ index: Int, _ lines: String) throws {
        let text = try String(contentsOfFile: configs[index], encoding: .utf8)
        try (lines + "\n" + text).write(toFile: configs[index], atomically: true, encoding: .utf8)
    }

    /// Replaces a setting's line in node `index`'s node.toml.
    public func replace(_ index: Int, _ old: String, with new: String) throws {
        let text = try String(contentsOfFile: configs[index], encoding: .utf8)
        guard text.contains(old) else { throw TestnetFailed(description: "\(configs[index]) has no \(old)") }
        try text.replacingOccurrences(of: old, with: new).write(toFile: configs[index], atomically: true, encoding: .utf8)
    }

    public struct TestnetFailed: Error, CustomStringConvertible {
        public let description: String
    }
}
