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
                directory: String? = nil, basePort: Int? = nil) throws {
        // `baton testnet` creates the folder itself and never writes into an existing one.
        let directory = directory ?? FileManager.default.temporaryDirectory
            .appendingPathComponent("baton-testnet-\(UUID().uuidString)").path
        let port = basePort ?? Ports.freeBase()
        let run = try runProcess("baton", ["testnet", "--dir", directory, "--nodes", "\(nodes)", "--plugin", plugin,
                                           "--base-port", "\(port)", "--plugin-dir", Paths.binDirectory,
                                           "--followers", "\(followers)"] + extraArguments)
        guard run.status == 0 else { throw TestnetFailed(description: "baton testnet failed: \(run.output)") }
        self.directory = directory
        self.basePort = port
        configs = (0..<nodes).map { "\(directory)/node-\($0)/node.toml" }
            + (0..<followers).map { "\(directory)/follower-\($0)/node.toml" }
    }

    public struct TestnetFailed: Error, CustomStringConvertible {
        public let description: String
    }
}
