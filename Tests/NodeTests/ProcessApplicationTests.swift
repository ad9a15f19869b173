import BatonTestSupport
import Logging
import Node
import PluginHost
import Testing

/// `ProcessApplication` in process, against a real child (`baton
/// plugin-host`): what a node's first instance reads through its child must
/// be what the node committed, block after block (the child caches the
/// committed values it read; its commits must keep them true). The calls
/// block on the child's socket, so they run off the cooperative pool.
@Suite struct ProcessApplicationTests {
    static func application(_ plugin: String, store: AppStateStore) throws -> any Application {
        let library = try PluginLibrary.load(path: plugin)
        return try PluginIsolation.process(executable: Paths.binary("baton"))
            .application(library: library, config: [], store: store, budgets: PluginBudgets(),
                         logger: Logger(label: "test"), onCompletion: { _ in })
    }

    static func context(_ height: UInt64) -> BlockContext {
        BlockContext(height: height, view: height, timestampMs: height, parentID: [UInt8](repeating: 0, count: 32),
                     proposer: [UInt8](repeating: 2, count: 33))
    }

    static func get(_ app: any Application, _ key: String) -> String? {
        (try? app.query(Array("get:\(key)".utf8))).map { String(decoding: $0, as: UTF8.self) }
    }

    /// A key read (absent), then written, read, deleted and read again: each
    /// read through the same child answers the committed value of the moment.
    @Test func aReadKeyFollowsTheCommitsThatChangeIt() async throws {
        let plugin = try await CCompiler.fixture()
        try await offThePoolThrowing { try Self.readsFollowCommits(plugin) }
    }

    static func readsFollowCommits(_ plugin: String) throws {
        let store = InMemoryAppStateStore()
        let app = try Self.application(plugin, store: store)
        #expect(Self.get(app, "k") == nil)
        _ = try app.commitBlock(Self.context(1), payload: Array("put:k".utf8))
        #expect(store.value(forKey: Array("k".utf8)) == Array("1".utf8), "the commit's write landed in the node's store")
        #expect(Self.get(app, "k") == "1")
        _ = try app.commitBlock(Self.context(2), payload: Array("del:k".utf8))
        #expect(Self.get(app, "k") == nil)
        _ = try app.commitBlock(Self.context(3), payload: Array("put:k".utf8))
        #expect(Self.get(app, "k") == "1")
    }

    /// kvstore reads its last state hash at every commit: in its own process
    /// it chains exactly the hashes it chains in the node's.
    @Test func kvstoreChainsTheSameStateHashesInItsOwnProcess() async throws {
        try await offThePoolThrowing { try Self.chainsTheSameHashes() }
    }

    static func chainsTheSameHashes() throws {
        let inProcessStore = InMemoryAppStateStore(), processStore = InMemoryAppStateStore()
        let library = try PluginLibrary.load(path: Paths.shippedPlugin("kvstore"))
        let inProcess = try PluginApplication(library: library, store: inProcessStore)
        let process = try Self.application(Paths.shippedPlugin("kvstore"), store: processStore)
        for height in UInt64(1)...6 {
            let transactions = (0..<3).map { Array("key\(height)-\($0)=v\(height)".utf8) }
            guard case .ready(let payload, _) = try inProcess.produceBlock(Self.context(height), candidates: transactions) else {
                Issue.record("kvstore did not produce")
                return
            }
            let expected = try inProcess.commitBlock(Self.context(height), payload: payload)
            #expect(try process.commitBlock(Self.context(height), payload: payload) == expected, "height \(height)")
        }
        #expect(try process.query([]) == inProcess.query([]))
        #expect(try process.query(Array("key4-1".utf8)) == Array("v4".utf8))
    }
}
