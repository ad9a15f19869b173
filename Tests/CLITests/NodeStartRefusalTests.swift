import BatonTestSupport
import Foundation
import Testing

/// Keys and data folders an operator gets wrong: one clear refusal each.
@Suite struct NodeStartRefusalTests {
    func refusal(_ config: String) async throws -> String {
        let run = try await runProcess("baton", ["node", "--config", config])
        #expect(run.status == 1)
        return run.stderr
    }

    @Test func aKeyTheGenesisDoesNotKnowIsRefused() async throws {
        let net = try await Testnet(plugin: "kvstore")
        let stranger = URL(fileURLWithPath: net.configs[0]).deletingLastPathComponent().path + "/stranger.json"
        _ = try await runProcess("baton", ["keygen", "--out", stranger])
        try net.replace(0, "key_file = \"key.json\"", with: "key_file = \"stranger.json\"")
        let message = try await refusal(net.configs[0])
        #expect(message.contains("is neither a committee member nor a listed follower of this chain"), "\(message)")
        #expect(message.contains("join = true"), "\(message)")
        // Nothing was written for the wrong key: the data folder holds no store.
        let data = URL(fileURLWithPath: net.configs[0]).deletingLastPathComponent().path + "/data/db"
        #expect(!FileManager.default.fileExists(atPath: data))
    }

    @Test func aKeyFileOthersCanReadIsRefused() async throws {
        let net = try await Testnet(plugin: "kvstore")
        let key = URL(fileURLWithPath: net.configs[0]).deletingLastPathComponent().path + "/key.json"
        chmod(key, 0o644)
        let message = try await refusal(net.configs[0])
        #expect(message.contains("chmod 600 \(key)"), "\(message)")
    }

    @Test func aDataDirThatIsAFileOrAnUnwritableLogIsRefused() async throws {
        let net = try await Testnet(plugin: "kvstore")
        let folder = URL(fileURLWithPath: net.configs[0]).deletingLastPathComponent().path
        FileManager.default.createFile(atPath: folder + "/data", contents: Data("not a folder".utf8))
        let file = try await refusal(net.configs[0])
        #expect(file.contains("it is a file, not a folder: point data_dir in node.toml at a folder"), "\(file)")
        try FileManager.default.removeItem(atPath: folder + "/data")
        // node.log is a folder: it cannot be written (whatever the user's rights).
        try FileManager.default.createDirectory(atPath: folder + "/data/node.log", withIntermediateDirectories: true)
        let log = try await refusal(net.configs[0])
        #expect(log.contains("the node's log \(folder)/data/node.log cannot be written"), "\(log)")
    }

    /// The reproduction: a node that ran, stopped, lost db/CURRENT and
    /// its WAL. It started at height 0 before, and RocksDB deleted its tables.
    @Test(.processTests) func aStoreThatLostItsCurrentAndWALIsNotReinitialised() async throws {
        let net = try await Testnet(plugin: "kvstore")
        let nodes = try (0..<4).map { try NodeProcess(config: net.configs[$0]) }
        defer { for node in nodes { node.dispose() } }
        #expect(await waitUntil(seconds: 60) { nodes[0].height >= 3 }, "\(nodes[0].stderrTail())")
        await nodes[0].stop()
        let db = URL(fileURLWithPath: net.configs[0]).deletingLastPathComponent().path + "/data/db"
        let wals = try FileManager.default.contentsOfDirectory(atPath: db).filter { $0.hasSuffix(".log") }
        #expect(!wals.isEmpty)
        for file in wals + ["CURRENT"] { try FileManager.default.removeItem(atPath: db + "/" + file) }
        let message = try await refusal(net.configs[0])
        #expect(message.contains("a store was created here (store.id) but its database is gone (db/CURRENT is missing)"), "\(message)")
        #expect(!FileManager.default.fileExists(atPath: db + "/CURRENT"))
    }
}
