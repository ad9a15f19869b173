import BatonPluginKit
import Foundation

/// The robot federation's application (Metronome's example): each leader
/// proposes the robot's next command — a queued user command, or the patrol's
/// — and every node applies the same commands to the same robot.
///
/// Config: JSON `{"width":12,"height":8,"obstacles":[{"x":4,"y":2}],
/// "start":{"position":{"x":0,"y":0},"heading":"east"}}`; empty means
/// `Grid.standard`. All nodes of a federation must use the same grid (it is
/// folded into the state hash, so a mismatch is caught at the first commit).
public class RobotApp: BatonApplication {
    private static let stateKey = Array("robot/state".utf8)
    static let upgradedKey = Array("robot/upgraded-from".utf8)

    /// The commands this build accepts. The second build (`RobotAppV2`, the
    /// product `robot-v2`) adds `uturn`: the live-upgrade demo's new feature.
    public class var commands: [Command] { [.forward, .back, .left, .right, .wait] }
    /// This build's name for the typed functions and the export.
    public class var version: String { "1.1.0" }
    /// The first build migrates nothing; the second records its predecessor.
    public class var migratesState: Bool { false }
    public func migrate(from name: String, version: String) throws {}

    private let grid: Grid
    let host: BatonHost

    public required init(config: [UInt8], host: BatonHost) throws {
        if config.isEmpty {
            grid = .standard
        } else {
            do { grid = try JSONDecoder().decode(Grid.self, from: Data(config)) } catch {
                throw PluginFailure("robot config is not a grid in JSON: \(error)")
            }
        }
        if let problem = grid.problem() { throw PluginFailure("robot config: \(problem)") }
        self.host = host
    }

    /// The command a transaction gives, if this build knows it.
    func command(_ transaction: [UInt8]) -> Command? {
        Command(transaction: transaction).flatMap { type(of: self).commands.contains($0) ? $0 : nil }
    }

    public func checkTransaction(_ transaction: [UInt8]) throws -> TransactionVerdict {
        guard transaction.count <= 32, command(transaction) != nil else {
            return .reject("not a robot command; send one of: \(type(of: self).commands.map(\.name).joined(separator: ", ")), optionally followed by a nonce (\"left 2\") to send one again within a minute")
        }
        return .accept
    }

    public func produceBlock(_ block: BatonBlock, candidates: [[UInt8]], pending: PendingAnswer) throws -> Production {
        var state = try speculativeState(before: block)
        var steps: [Step] = []
        var included: [Int] = []
        // Queued user commands first, in arrival order, skipping any the grid
        // forbids from where the robot will be.
        for (index, transaction) in candidates.enumerated() where steps.count < RobotPayload.stepsMax {
            guard let command = command(transaction),
                  case .success(let pose) = state.pose(after: command, on: grid) else { continue }
            state.pose = pose
            steps.append(Step(command: command, patrol: false, transaction: transaction))
            included.append(index)
        }
        if steps.isEmpty {
            steps.append(Step(command: state.patrolCommand(on: grid, height: block.height), patrol: true))
        }
        return .payload(RobotPayload.encode(steps), included: included)
    }

    /// ABI 1.2: the user steps' transactions; a version-1 payload cannot say.
    public func transactions(in payload: [UInt8]) throws -> [[UInt8]]? {
        guard payload.first == RobotPayload.version else { return nil }
        return try RobotPayload.decode(payload).get().compactMap(\.transaction)
    }

    public func validateBlock(_ block: BatonBlock, payload: [UInt8], pending: PendingAnswer) throws -> Validation {
        let state = try speculativeState(before: block)
        switch RobotPayload.decode(payload) {
        case .failure(let error): return .invalid("malformed payload: \(error)")
        case .success(let steps):
            if let unknown = steps.first(where: { !type(of: self).commands.contains($0.command) }) {
                return .invalid("this robot build (\(type(of: self).version)) has no command '\(unknown.command.name)'")
            }
            if case .failure(let error) = state.applying(steps, on: grid, height: block.height, proposer: block.proposer) {
                return .invalid(error.description)
            }
            return .valid
        }
    }

    public func commitBlock(_ block: BatonBlock, payload: [UInt8]) throws -> [UInt8] {
        let state = try committedState()
        guard block.height == state.height + 1 else {
            throw PluginFailure("commit out of order: robot is at height \(state.height), block is \(block.height)")
        }
        let steps = try RobotPayload.decode(payload).get()
        var next = try state.applying(steps, on: grid, height: block.height, proposer: block.proposer).get()
        next.height = block.height
        try host.put(Self.stateKey, next.encoded)
        return host.sha256(grid.canonicalBytes + next.encoded)
    }

    /// ABI 1.7: the hash `commitBlock` returns, from the stored state alone
    /// (the grid comes from the config, alike on every member).
    public func stateHashFromStore() throws -> [UInt8]? {
        host.sha256(grid.canonicalBytes + (try committedState()).encoded)
    }

    public func query(_ request: [UInt8]) throws -> [UInt8] {
        let what = String(decoding: request, as: UTF8.self).trimmingWhitespace()
        guard what.isEmpty || what == "state" else {
            throw PluginFailure("unknown query '\(what)'; ask for 'state' (or send an empty request)")
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let upgradedFrom = try host.get(Self.upgradedKey).map { String(decoding: $0, as: UTF8.self) }
        return Array(try encoder.encode(RobotView(grid: grid, state: try committedState(), build: type(of: self).version,
                                                  commands: type(of: self).commands.map(\.name), upgradedFrom: upgradedFrom)))
    }

    // MARK: - Typed functions (ABI 1.3; exported in RobotExport.swift)

    /// Moves on the shortest path from the robot's committed position to
    /// (x, y), around obstacles (4 neighbours, turns not counted); -1 when
    /// the cell is outside the grid, an obstacle, or walled off.
    func distance(toX x: Int, y: Int) throws -> Int32 {
        let target = Position(x: x, y: y)
        guard grid.isFree(target) else { return -1 }
        let start = try committedState().pose.position
        // Breadth-first over at most 256 × 256 cells.
        var seen = Set([start])
        var frontier = [start]
        var distance: Int32 = 0
        while !frontier.isEmpty {
            if frontier.contains(target) { return distance }
            var next: [Position] = []
            for cell in frontier {
                for heading in Heading.allCases {
                    let neighbour = cell.moved(heading, steps: 1)
                    if grid.isFree(neighbour), seen.insert(neighbour).inserted { next.append(neighbour) }
                }
            }
            frontier = next
            distance += 1
        }
        return -1
    }

    /// What is at (x, y) in committed state: "robot facing <heading>",
    /// "obstacle" or "free"; refused outside the grid.
    func cell(x: Int, y: Int) throws -> FunctionAnswer {
        let position = Position(x: x, y: y)
        guard grid.contains(position) else { return .reject("\(position) is outside the \(grid.width)×\(grid.height) grid") }
        let pose = try committedState().pose
        if pose.position == position { return .text("robot facing \(pose.heading.name)") }
        return .text(grid.obstacles.contains(position) ? "obstacle" : "free")
    }

    // MARK: - State

    private func committedState() throws -> RobotState {
        guard let bytes = try host.get(Self.stateKey) else { return RobotState(start: grid.start) }
        guard let state = RobotState(encoded: bytes) else { throw PluginFailure("stored robot state is corrupt") }
        return state
    }

    /// Committed state with the not-yet-finalized ancestors applied: the state
    /// this block will meet when it commits.
    private func speculativeState(before block: BatonBlock) throws -> RobotState {
        var state = try committedState()
        for (offset, payload) in block.pendingPayloads.enumerated() {
            let height = state.height + 1
            guard case .success(let steps) = RobotPayload.decode(payload),
                  case .success(let next) = state.applying(steps, on: grid, height: height, proposer: [])
            else { throw PluginFailure("pending ancestor \(offset + 1) of \(block.pendingPayloads.count) is not a valid robot block") }
            state = next
            state.height = height
        }
        return state
    }
}

/// What `query` answers, as JSON.
struct RobotView: Encodable {
    struct Robot: Encodable { var x: Int; var y: Int; var heading: String }
    struct Recent: Encodable { var height: UInt64; var command: String; var source: String; var proposer: String }
    struct GridView: Encodable { var width: Int; var height: Int; var obstacles: [Position] }

    var grid: GridView
    var robot: Robot
    var height: UInt64
    var steps: UInt64
    var recent: [Recent]
    /// Which build answered, and the commands it takes (the live-upgrade demo shows both).
    var build: String
    var commands: [String]
    /// Set by the second build's state migration: the build it took over from.
    var upgradedFrom: String?

    init(grid: Grid, state: RobotState, build: String, commands: [String], upgradedFrom: String?) {
        self.build = build
        self.commands = commands
        self.upgradedFrom = upgradedFrom
        self.grid = GridView(width: grid.width, height: grid.height, obstacles: grid.obstacles)
        robot = Robot(x: state.pose.position.x, y: state.pose.position.y, heading: state.pose.heading.name)
        height = state.height
        steps = state.steps
        recent = state.recent.map {
            Recent(height: $0.height, command: $0.step.command.name, source: $0.step.patrol ? "patrol" : "user",
                   proposer: $0.proposer.map { String(format: "%02x", $0) }.joined())
        }
    }
}

/// The second robot build (product `robot-v2`): everything the first does,
/// and `uturn`. It reads the first build's state and payloads, so a chain can
/// switch to it live at a committed height (`baton demo --upgrade-at`).
public final class RobotAppV2: RobotApp {
    public override class var commands: [Command] { super.commands + [.uturn] }
    public override class var version: String { "2.0.0" }
    public override class var migratesState: Bool { true }

    /// ABI 1.4: records which build it took over from, atomically with the
    /// first block it commits (the query shows it as `upgradedFrom`).
    public override func migrate(from name: String, version: String) throws {
        try host.put(RobotApp.upgradedKey, Array("\(name) \(version)".utf8))
    }
}
