import BatonTestSupport
import Foundation
import Testing

/// The genesis names the application and may pin its version and build;
/// every refusal names both sides.
@Suite struct PluginPinTests {
    func genesis(_ net: Testnet) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: net.genesis))) as? [String: Any])
    }

    func editGenesis(_ net: Testnet, _ change: (inout [String: Any]) -> Void) throws {
        var object = try genesis(net)
        change(&object)
        try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted]).write(to: URL(fileURLWithPath: net.genesis))
    }

    /// `baton node` stops at bootstrap with exit status 1; its error line.
    func refusal(_ config: String) async throws -> String {
        let run = try await runProcess("baton", ["node", "--config", config])
        #expect(run.status == 1)
        return run.stderr
    }

    @Test func testnetFailsAtOnceForAPluginItCannotFind() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("baton-pin-\(UUID().uuidString)").path
        let run = try await runProcess("baton", ["testnet", "--dir", dir, "--plugin", "no-such-app", "--plugin-dir", Paths.binDirectory])
        #expect(run.status != 0)
        #expect(run.stderr.contains("--plugin no-such-app") && run.stderr.contains("not found"), "\(run.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir), "nothing written")
    }

    @Test func theGenesisNamesTheApplicationAndPinsItsBuild() async throws {
        let net = try await Testnet(plugin: "kvstore", extraArguments: ["--pin-plugin"])
        let written = try genesis(net)
        #expect(written["plugin"] as? String == "kvstore")
        #expect(written["pluginVersion"] as? String == "1.1.0")
        let inspect = try await runProcess("baton", ["plugins", "inspect", "kvstore", "--plugin-dir", Paths.binDirectory])
        let sha = try #require(written["pluginSHA256"] as? String)
        #expect(inspect.stdout.contains("sha256       \(sha)"))
    }

    @Test func aNodeRefusesAnotherApplication() async throws {
        let net = try await Testnet(plugin: "kvstore")
        try net.configure(0, "plugin = \"robot\"")
        let message = try await refusal(net.configs[0])
        #expect(message.contains("is the application 'robot', but the genesis names 'kvstore'"), "\(message)")
        #expect(message.contains("may only choose another build of 'kvstore'"))
    }

    @Test func aNodeRefusesAnotherPinnedBuildOrVersion() async throws {
        let net = try await Testnet(plugin: "kvstore", extraArguments: ["--pin-plugin"])
        let pinned = try #require(try genesis(net)["pluginSHA256"] as? String)
        let other = String(repeating: "0", count: 64)
        try editGenesis(net) { $0["pluginSHA256"] = other }
        let build = try await refusal(net.configs[0])
        #expect(build.contains("has SHA-256 \(pinned), but the genesis pins \(other)"), "\(build)")
        try editGenesis(net) { $0["pluginSHA256"] = pinned; $0["pluginVersion"] = "9.9.9" }
        let version = try await refusal(net.configs[0])
        #expect(version.contains("is kvstore version 1.1.0, but the genesis pins version 9.9.9"), "\(version)")
    }

    /// A file named other than its application is another build of it: the
    /// testnet writes the application to the genesis and the file to node.toml.
    @Test func anotherBuildIsChosenPerNode() async throws {
        let net = try await Testnet(plugin: "checkpointing-aged")
        #expect(try genesis(net)["plugin"] as? String == "checkpointing")
        let toml = try String(contentsOfFile: net.configs[0], encoding: .utf8)
        #expect(toml.contains("plugin = \"checkpointing-aged\""))
    }
}

