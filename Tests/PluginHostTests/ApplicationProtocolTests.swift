import BatonTestSupport
import PluginHost
import Testing

/// An application written in Swift inside the host process: the node can run
/// against it exactly as against a plugin (the simulation and node tests rely
/// on this).
final class CountingApplication: Application {
    let info = PluginInfo(name: "counting", version: "0", description: "in-process test app", abiMajor: 1, abiMinor: 0)
    private(set) var committed: [[UInt8]] = []

    func checkTransaction(_ transaction: [UInt8]) -> TransactionVerdict {
        transaction.isEmpty ? .reject(reason: "empty") : .accept
    }

    func produceBlock(_ context: BlockContext, candidates: [[UInt8]]) -> ProduceAnswer {
        .ready(payload: candidates.first ?? [], included: candidates.isEmpty ? [] : [0])
    }

    func validateBlock(_ context: BlockContext, payload: [UInt8]) -> ValidateAnswer { .valid }

    func commitBlock(_ context: BlockContext, payload: [UInt8]) -> StateHash {
        committed.append(payload)
        return StateHash([UInt8](repeating: UInt8(committed.count), count: 32))!
    }

    func query(_ request: [UInt8]) -> [UInt8] { [UInt8(committed.count)] }
}

/// Drives any `Application` through one proposal round, as the node will.
func proposeAndCommit(_ app: some Application, height: UInt64, candidates: [[UInt8]]) throws -> StateHash? {
    guard case .ready(let payload, _) = try app.produceBlock(context(height: height), candidates: candidates),
          try app.validateBlock(context(height: height), payload: payload) == .valid
    else { return nil }
    return try app.commitBlock(context(height: height), payload: payload)
}

@Suite(.blockingWork) struct ApplicationProtocolTests {
    @Test func inProcessAndPluginApplicationsAreDrivenAlike() throws {
        let local = CountingApplication()
        let robot = try PluginApplication(library: try PluginLibrary.load(path: Paths.shippedPlugin("robot")),
                                          store: InMemoryAppStateStore())
        let apps: [any Application] = [local, robot]
        for app in apps {
            #expect(try proposeAndCommit(app, height: 1, candidates: [Array("forward")]) != nil)
        }
        #expect(local.committed == [Array("forward")])
        #expect(try robot.query([]).text.contains(#""x":1"#))
    }
}
