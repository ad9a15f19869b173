import BatonTestSupport
import Logging
import Node
import PluginHost
import Testing

/// ABI 1.7 (issue 31): `state_hash_from_store` and `retain_height` cross the
/// ABI — in the node's process and through a plugin child — and an older
/// plugin, whose table ends before them, answers "cannot tell" and "no wish".
@Suite struct StateHashFromStoreTests {
    static func context(_ height: UInt64) -> BlockContext {
        BlockContext(height: height, view: height, timestampMs: height, parentID: [UInt8](repeating: 0, count: 32),
                     proposer: [UInt8](repeating: 2, count: 33))
    }

    static func application(_ plugin: String, config: String = "", store: AppStateStore, inChild: Bool) throws -> any Application {
        let library = try PluginLibrary.load(path: plugin)
        guard inChild else { return try PluginApplication(library: library, config: Array(config.utf8), store: store) }
        return try PluginIsolation.process(executable: Paths.binary("baton"))
            .application(library: library, config: Array(config.utf8), store: store, budgets: PluginBudgets(),
                         logger: Logger(label: "test"), onCompletion: { _ in })
    }

    @Test(arguments: [false, true])
    func theFixtureRecomputesTheCommittedHashAndAsksToKeepBlocks(inChild: Bool) async throws {
        let plugin = try await CCompiler.fixture(["FIXTURE_RECOMPUTES"], name: "libfixture-recomputes.so")
        try await offThePoolThrowing {
            let app = try Self.application(plugin, store: InMemoryAppStateStore(), inChild: inChild)
            #expect(app.retainHeight() == 0, "no block committed: no wish")
            var last: StateHash?
            for height in UInt64(1)...3 { last = try app.commitBlock(Self.context(height), payload: Array("block \(height)".utf8)) }
            #expect(try app.stateHashFromStore() == last)
            #expect(app.retainHeight() == 3, "a function of committed state: the blocks it applied")
        }
    }

    @Test(arguments: [false, true])
    func aWrongUnknownOrFailingRecomputationIsReportedAsSuch(inChild: Bool) async throws {
        let plugin = try await CCompiler.fixture(["FIXTURE_RECOMPUTES"], name: "libfixture-recomputes.so")
        try await offThePoolThrowing {
            for config in ["state-hash-wrong", "state-hash-unknown", "state-hash-fails"] {
                let app = try Self.application(plugin, config: config, store: InMemoryAppStateStore(), inChild: inChild)
                let committed = try app.commitBlock(Self.context(1), payload: Array("x".utf8))
                switch config {
                case "state-hash-wrong":
                    let recomputed = try #require(try app.stateHashFromStore())
                    #expect(recomputed != committed)
                case "state-hash-unknown":
                    #expect(try app.stateHashFromStore() == nil)
                default:
                    #expect(throws: ApplicationError.self) { try app.stateHashFromStore() }
                }
            }
        }
    }

    /// A plugin built against the 1.6 header: its table ends at `flags`.
    @Test func anOlderPluginCannotTellAndHasNoWish() async throws {
        let plugin = try await CCompiler.fixture(["FIXTURE_SECOND_INSTANCE"], name: "libfixture-16.so", abi: "1.6")
        try await offThePoolThrowing {
            for inChild in [false, true] {
                let app = try Self.application(plugin, store: InMemoryAppStateStore(), inChild: inChild)
                _ = try app.commitBlock(Self.context(1), payload: Array("x".utf8))
                #expect(try app.stateHashFromStore() == nil)
                #expect(app.retainHeight() == 0)
            }
        }
    }

    /// The robot's hash is a function of its stored state and its grid.
    @Test func theRobotRecomputesItsHashFromItsStoredState() async throws {
        try await offThePoolThrowing {
            let store = InMemoryAppStateStore()
            let robot = try Self.application(Paths.shippedPlugin("robot"), store: store, inChild: false)
            #expect(robot.info.abiVersion == "1.7")
            var last: StateHash?
            for (height, command) in ["forward", "left", "forward", "uturn"].enumerated() {
                let h = UInt64(height + 1)
                guard case .ready(let payload, _) = try robot.produceBlock(Self.context(h), candidates: [Array(command.utf8)]) else {
                    Issue.record("the robot answered pending")
                    return
                }
                last = try robot.commitBlock(Self.context(h), payload: payload)
            }
            #expect(try robot.stateHashFromStore() == last)
        }
    }
}
