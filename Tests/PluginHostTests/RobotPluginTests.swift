import BatonTestSupport
import Foundation
import PluginHost
import Testing

/// The robot plugin, loaded from its built .so with real dlopen.
@Suite(.blockingWork) struct RobotPluginTests {
    let library: PluginLibrary

    init() throws { library = try PluginLibrary.load(path: Paths.shippedPlugin("robot")) }

    func makeRobot(store: AppStateStore = InMemoryAppStateStore(), config: String = "") throws -> PluginApplication {
        try PluginApplication(library: library, config: Array(config), store: store)
    }

    struct View: Decodable {
        struct Robot: Decodable { let x: Int; let y: Int; let heading: String }
        struct Recent: Decodable { let height: UInt64; let command: String; let source: String }
        let robot: Robot
        let height: UInt64
        let steps: UInt64
        let recent: [Recent]
    }

    func view(_ robot: PluginApplication) throws -> View {
        try JSONDecoder().decode(View.self, from: Data(try robot.query([])))
    }

    /// Produce, validate and commit `blocks` blocks on one node; returns the state hashes.
    @discardableResult
    func run(_ robot: PluginApplication, from height: UInt64 = 1, blocks: Int, commands: [String] = []) throws -> [StateHash] {
        var hashes: [StateHash] = []
        for h in height..<(height + UInt64(blocks)) {
            let candidates = h == height ? commands.map { Array($0) } : []
            guard case .ready(let payload, _) = try robot.produceBlock(context(height: h), candidates: candidates) else {
                Issue.record("robot answered pending")
                return hashes
            }
            #expect(try robot.validateBlock(context(height: h), payload: payload) == .valid)
            hashes.append(try robot.commitBlock(context(height: h), payload: payload))
        }
        return hashes
    }

    @Test func describesItself() {
        #expect(library.info.name == "robot")
        #expect(library.info.abiMajor == PluginABI.major)
        #expect(!library.info.description.isEmpty)
    }

    @Test func patrolMovesTheRobotAndEveryBlockChangesTheHash() throws {
        let robot = try makeRobot()
        let hashes = try run(robot, blocks: 30)
        #expect(Set(hashes).count == 30)
        let state = try view(robot)
        #expect(state.height == 30)
        #expect(state.steps == 30)
        #expect(state.robot.x != 0 || state.robot.y != 0)
        #expect(state.recent.count == 16)
        #expect(state.recent.allSatisfy { $0.source == "patrol" })
    }

    @Test func twoInstancesFedTheSameCommitsAgreeOnEveryHash() throws {
        let first = try makeRobot()
        let second = try makeRobot()
        let a = try run(first, blocks: 25, commands: ["right", "forward", "forward"])
        // The second node commits the first node's payloads, as a follower would.
        var b: [StateHash] = []
        for h in 1...UInt64(25) {
            let payload: [UInt8]
            if h == 1 {
                guard case .ready(let p, _) = try second.produceBlock(context(height: 1), candidates: [Array("right"), Array("forward"), Array("forward")]) else { return }
                payload = p
            } else {
                guard case .ready(let p, _) = try second.produceBlock(context(height: h), candidates: []) else { return }
                payload = p
            }
            b.append(try second.commitBlock(context(height: h), payload: payload))
        }
        #expect(a == b)
    }

    @Test func queuedUserCommandsGoFirstAndInvalidOnesAreLeftOut() throws {
        let robot = try makeRobot()
        // From (0,0) facing east: "back" would leave the grid, "jump" is no command.
        let answer = try robot.produceBlock(context(height: 1),
                                            candidates: [Array("back"), Array("forward"), Array("jump"), Array("right")])
        guard case .ready(let payload, let included) = answer else { Issue.record("pending"); return }
        #expect(included == [1, 3])
        _ = try robot.commitBlock(context(height: 1), payload: payload)
        let state = try view(robot)
        #expect(state.robot.x == 1 && state.robot.y == 0 && state.robot.heading == "south")
        #expect(state.recent.map(\.source) == ["user", "user"])
    }

    @Test func checkTransactionAcceptsCommandsOnly() throws {
        let robot = try makeRobot()
        for command in ["forward", "back", "left", "right", "wait", " Forward\n", "left 2", "left  #a7f"] {
            #expect(try robot.checkTransaction(Array(command)) == .accept)
        }
        for bad in ["", "jump", "forward forward", String(repeating: "x", count: 100)] {
            guard case .reject(let reason) = try robot.checkTransaction(Array(bad)) else {
                Issue.record("accepted \(bad)")
                continue
            }
            #expect(reason.contains("forward"))
        }
    }

    @Test func rejectsAMoveThatLeavesTheGrid() throws {
        let robot = try makeRobot()
        // [version 1][1 step][back]: from (0,0) facing east, back is x = -1.
        guard case .invalid(let reason) = try robot.validateBlock(context(height: 1), payload: [1, 1, 1]) else {
            Issue.record("accepted a move off the grid")
            return
        }
        #expect(reason.contains("leave the grid"))
    }

    @Test func rejectsAMoveIntoAnObstacle() throws {
        let robot = try makeRobot()
        // right, forward, forward, left, forward×3 reaches (3,2); the next
        // forward hits the obstacle at (4,2).
        let payload: [UInt8] = [1, 8, 3, 0, 0, 2, 0, 0, 0, 0]
        guard case .invalid(let reason) = try robot.validateBlock(context(height: 1), payload: payload) else {
            Issue.record("accepted a move into an obstacle")
            return
        }
        #expect(reason.contains("obstacle at (4,2)"))
        #expect(reason.contains("step 8"))
    }

    @Test(arguments: [[UInt8](), [2, 1, 0], [1, 0], [1, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0], [1, 1, 7], [1, 2, 0]])
    func rejectsMalformedPayloads(_ payload: [UInt8]) throws {
        let robot = try makeRobot()
        guard case .invalid(let reason) = try robot.validateBlock(context(height: 1), payload: payload) else {
            Issue.record("accepted malformed payload \(payload)")
            return
        }
        #expect(reason.hasPrefix("malformed payload"))
    }

    @Test func judgesABlockAgainstItsPendingAncestors() throws {
        let robot = try makeRobot()
        let back: [UInt8] = [1, 1, 1]
        // Against committed state (0,0) "back" leaves the grid; after a pending
        // ancestor moved forward to (1,0) it is a valid move.
        #expect(try robot.validateBlock(context(height: 1), payload: back) != .valid)
        #expect(try robot.validateBlock(context(height: 2, pending: [[1, 1, 0]]), payload: back) == .valid)
    }

    @Test func refusesCommitsOutOfOrder() throws {
        let robot = try makeRobot()
        #expect(throws: ApplicationError.self) { try robot.commitBlock(context(height: 5), payload: [1, 1, 4]) }
        #expect(try view(robot).height == 0)
    }

    @Test func stateLivesInTheHostStoreAndSurvivesANewInstance() throws {
        let store = InMemoryAppStateStore()
        var hashes: [StateHash] = []
        do {
            let robot = try makeRobot(store: store)
            hashes = try run(robot, blocks: 10)
        }
        let restarted = try makeRobot(store: store)
        #expect(try view(restarted).height == 10)
        let next = try run(restarted, from: 11, blocks: 1)
        // A node that never restarted gets the same hash at height 11.
        let control = try makeRobot()
        let controlHashes = try run(control, blocks: 11)
        #expect(controlHashes.prefix(10) == hashes[...])
        #expect(controlHashes.last == next.first)
    }

    @Test func customGridFromConfigAndBadConfigIsRefused() throws {
        let grid = #"{"width":3,"height":3,"obstacles":[{"x":1,"y":1}],"start":{"position":{"x":0,"y":0},"heading":"south"}}"#
        let robot = try makeRobot(config: grid)
        try run(robot, blocks: 12)
        let state = try view(robot)
        #expect((0..<3).contains(state.robot.x) && (0..<3).contains(state.robot.y))
        #expect(!(state.robot.x == 1 && state.robot.y == 1))

        for bad in ["{", #"{"width":1,"height":3,"obstacles":[],"start":{"position":{"x":0,"y":0},"heading":"east"}}"#] {
            do {
                _ = try makeRobot(config: bad)
                Issue.record("accepted config \(bad)")
            } catch let error as PluginLoadError {
                #expect(error.kind == .createFailed)
                #expect(error.description.contains("robot config"))
            }
        }
    }

    @Test func queryRefusesUnknownRequests() throws {
        let robot = try makeRobot()
        #expect(throws: ApplicationError.self) { try robot.query(Array("teleport")) }
        #expect(try robot.query(Array("state")).text.contains("\"robot\""))
    }

    /// The second build (librobot-v2.so, the live-upgrade demo's target):
    /// the same application, plus 'uturn'; it takes over the first build's
    /// state and judges its payloads, and the first build refuses 'uturn'.
    @Test func theSecondBuildTakesOverTheStateAndAddsUTurn() throws {
        let store = InMemoryAppStateStore()
        let first = try makeRobot(store: store)
        guard case .reject = try first.checkTransaction(Array("uturn")) else {
            Issue.record("the first build accepted uturn")
            return
        }
        try run(first, blocks: 3, commands: ["left"])
        let before = try view(first)
        let second = try PluginApplication(library: try PluginLibrary.load(path: Paths.shippedPlugin("robot-v2")), store: store)
        #expect(second.info.name == "robot" && second.info.version == "2.0.0")
        #expect(try second.checkTransaction(Array("uturn")) == .accept)
        #expect(try view(second).robot.x == before.robot.x && view(second).height == 3, "it reads the first build's state")
        // Its first commit carries its state migration (ABI 1.4): it records the build it took over from.
        guard case .ready(let first4, _) = try second.produceBlock(context(height: 4), candidates: [Array("uturn")]) else { return }
        _ = try second.commitBlock(context(height: 4), payload: first4, migratingFrom: first.info)
        let upgraded = try JSONSerialization.jsonObject(with: Data(try second.query([]))) as? [String: Any]
        #expect(upgraded?["upgradedFrom"] as? String == "robot 1.1.0" && upgraded?["build"] as? String == "2.0.0")
        let after = try view(second)
        let headings = ["north", "east", "south", "west"]
        let turned = headings[(headings.firstIndex(of: before.robot.heading)! + 2) % 4]
        #expect(after.recent.last?.command == "uturn" && after.robot.heading == turned, "\(after.robot)")
        // A block with a uturn is invalid to the first build.
        guard case .ready(let payload, _) = try second.produceBlock(context(height: 5), candidates: [Array("uturn 2")]) else { return }
        guard case .invalid(let reason) = try first.validateBlock(context(height: 5), payload: payload) else {
            Issue.record("the first build accepted a uturn block")
            return
        }
        #expect(reason.contains("no command 'uturn'"))
    }
}
