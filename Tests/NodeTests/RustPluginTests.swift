import BatonTestSupport
import Foundation
@_spi(Testing) import Node
import PluginHost
import Testing

/// Plugins/Tally: a plugin in Rust, std only, with its own binding of the
/// header, built with `cargo --offline` as its README says, and run: every
/// call in process, then replicated by a 4-node cluster whose nodes all answer
/// its typed functions alike.
@Suite(.serialized) struct RustPluginTests {
    /// Built once, by the first test that needs it, off the cooperative pool.
    static let plugin = Task { try await Cargo.plugin(folder: "Tally", name: "tally") }

    @Test func theRustPluginAnswersEveryCallAndItsFunctions() async throws {
        let library = try PluginLibrary.load(path: try await Self.plugin.value)
        #expect(library.info.name == "tally" && library.info.abiVersion == "1.6")
        #expect(library.functions.map { "\($0.name)\($0.signature)" }
            == ["votes(option: str) -> u64", "total() -> u64", "winner() -> str"])
        let app = try PluginApplication(library: library, store: InMemoryAppStateStore())
        #expect(try app.checkTransaction(Array("vote:rust".utf8)) == .accept)
        guard case .reject(let why) = try app.checkTransaction(Array("vote:Rust!".utf8)) else {
            Issue.record("an invalid option was accepted")
            return
        }
        #expect(why.contains("a-z"))
        #expect(try app.call("winner", arguments: []) == FunctionResult.none)
        let context = BlockContext(height: 1, view: 1, timestampMs: 1, parentID: [UInt8](repeating: 7, count: 32),
                                   proposer: [UInt8](repeating: 2, count: 33))
        let candidates = ["vote:rust", "nonsense", "vote:swift", "vote:rust 2"].map { Array($0.utf8) }
        guard case .ready(let payload, let included) = try app.produceBlock(context, candidates: candidates) else {
            Issue.record("no payload")
            return
        }
        #expect(included == [0, 2, 3])
        #expect(try app.validateBlock(context, payload: payload) == .valid)
        #expect(try app.blockTransactions(payload) == [candidates[0], candidates[2], candidates[3]])
        _ = try app.commitBlock(context, payload: payload)
        #expect(try app.call("votes", arguments: [.str("rust")]) == .value(.u64(2)))
        #expect(try app.call("votes", arguments: [.str("cobol")]) == .value(.u64(0)))
        #expect(try app.call("total", arguments: []) == .value(.u64(3)))
        #expect(try app.call("winner", arguments: []) == .value(.str("rust")))
        #expect(String(decoding: try app.query([]), as: UTF8.self) == #"{"height":1,"total":3,"votes":{"rust":2,"swift":1}}"#)
        guard case .invalid(let reason) = try app.validateBlock(context, payload: [9, 0, 0, 0, 1]) else {
            Issue.record("a cut payload was valid")
            return
        }
        #expect(reason.contains("runs past"))
    }

    @Test func aFourNodeClusterReplicatesTheRustPluginAndAllAnswerAlike() async throws {
        let cluster = try LocalCluster(plugin: try await Self.plugin.value)
        defer { cluster.removeDirectories() }
        try await cluster.startAll()
        for vote in ["vote:ferris", "vote:ferris 1", "vote:crab"] {
            guard case .accepted = await cluster.nodes[0]!.submit(Array(vote.utf8)) else {
                Issue.record("\(vote) not accepted")
                return
            }
        }
        let agreed = await waitUntil(seconds: 30) {
            for i in 0..<4 {
                guard let node = cluster.nodes[i], (try? await node.call("total", arguments: []))?.result == .value(.u64(3))
                else { return false }
            }
            return true
        }
        #expect(agreed, "every node counts the 3 votes")
        for i in 0..<4 {
            let node = try #require(cluster.nodes[i])
            #expect(try await node.call("votes", arguments: [.str("ferris")]).result == .value(.u64(2)))
            #expect(try await node.call("winner", arguments: []).result == .value(.str("ferris")))
        }
        await cluster.stopAll()
    }
}
