import BatonCrypto
import BatonTestSupport
import Foundation
@_spi(Testing) import Node
import PluginHost
import Testing

/// Plugins built against ABI 1.0 to 1.6 (their headers kept unchanged in
/// Tests/Fixtures/abi) keep loading and working in this host: every call in
/// process, and a 4-node cluster that commits their transactions, drops them
/// from every mempool and refuses them as committed — through the host's
/// fallback for apps that cannot list a payload's transactions.
@Suite(.serialized) struct OldABITests {
    @Test(arguments: [("1.0", 0), ("1.1", 1), ("1.2", 2), ("1.3", 3), ("1.4", 4), ("1.5", 5), ("1.6", 6)] as [(String, UInt32)])
    func anOldPluginLoadsAndAnswersEveryCall(abi: String, minor: UInt32) async throws {
        let library = try PluginLibrary.load(path: try await CCompiler.fixture(name: "libfixture-\(abi).so", abi: abi))
        #expect(library.info.abiMajor == 1 && library.info.abiMinor == minor)
        let app = try PluginApplication(library: library, config: [], store: InMemoryAppStateStore())
        #expect(try app.checkTransaction(Array("put:a".utf8)) == .accept)
        let context = BlockContext(height: 1, view: 1, timestampMs: 1, parentID: [UInt8](repeating: 7, count: 32),
                                   proposer: [UInt8](repeating: 2, count: 33))
        #expect(try app.produceBlock(context, candidates: [Array("put:a".utf8)]) == .ready(payload: Array("put:a".utf8), included: [0]))
        #expect(try app.validateBlock(context, payload: Array("put:a".utf8)) == .valid)
        let hash = try app.commitBlock(context, payload: Array("put:a".utf8))
        #expect(hash.bytes == SHA256Digest.hash(Array("put:a".utf8)).bytes)
        #expect(try app.query(Array("get:a".utf8)) == Array("1".utf8))
        #expect(try app.blockTransactions(Array("put:a".utf8)) == nil, "the fixture does not list transactions")
        #expect(app.functions.isEmpty, "the fixture declares no typed functions unless asked to")
        #expect(!app.migratesState, "a pre-1.4 plugin has no state migration")
        #expect(throws: FunctionCallError.self) { try app.call("add", arguments: []) }
        #expect(try app.stateHashFromStore() == nil && app.retainHeight() == 0, "a pre-1.7 plugin cannot recompute and has no wish")
    }

    @Test(arguments: ["1.0", "1.1", "1.2", "1.3", "1.4", "1.5", "1.6"])
    func anOldPluginRunsInACluster(abi: String) async throws {
        let plugin = try await CCompiler.fixture(name: "libfixture-\(abi).so", abi: abi)
        let cluster = try LocalCluster(plugin: plugin)
        defer { cluster.removeDirectories() }
        try await cluster.startAll()
        let node = try #require(cluster.nodes[0])
        let tx = Array("put:old-abi".utf8)
        guard case .accepted(let hash) = await node.submit(tx) else {
            Issue.record("not accepted")
            return
        }
        // Committed on every node, and gone from every mempool.
        let committed = await waitUntil(seconds: 30) {
            for i in 0..<4 {
                guard let n = cluster.nodes[i], (try? await n.query(Array("get:old-abi".utf8))) == Array("1".utf8),
                      await !n.mempool.contains(hash) else { return false }
            }
            return true
        }
        #expect(committed)
        guard case .alreadyCommitted(hash, _) = await node.submit(tx) else {
            Issue.record("a committed transaction was admitted again")
            return
        }
        await cluster.stopAll()
    }
}
