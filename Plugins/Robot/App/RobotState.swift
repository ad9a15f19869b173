/// The replicated state: where the robot is, and what it was told recently.
/// A pure value; `RobotApp` loads and stores it through the host's store.
struct RobotState: Sendable, Hashable {
    static let recentMax = 16

    var pose: Pose
    /// Height of the last committed block (0 before the first).
    var height: UInt64 = 0
    /// Steps applied so far.
    var steps: UInt64 = 0
    var recent: [Entry] = []

    struct Entry: Sendable, Hashable {
        var height: UInt64
        var step: Step
        var proposer: [UInt8]
    }

    init(start: Pose) { pose = start }

    /// The pose after `command`, or why the grid forbids it.
    func pose(after command: Command, on grid: Grid) -> Result<Pose, MoveError> {
        var next = pose
        switch command {
        case .wait: break
        case .left: next.heading = pose.heading.left
        case .right: next.heading = pose.heading.right
        case .uturn: next.heading = pose.heading.right.right
        case .forward, .back:
            let target = pose.position.moved(pose.heading, steps: command == .forward ? 1 : -1)
            guard grid.contains(target) else {
                return .failure(MoveError("\(command.name) from \(pose.position) heading \(pose.heading.name) would leave the grid"))
            }
            guard grid.isFree(target) else {
                return .failure(MoveError("\(command.name) from \(pose.position) heading \(pose.heading.name) would hit the obstacle at \(target)"))
            }
            next.position = target
        }
        return .success(next)
    }

    /// Applies every step in order; fails on the first the grid forbids.
    func applying(_ steps: [Step], on grid: Grid, height: UInt64, proposer: [UInt8]) -> Result<RobotState, MoveError> {
        var state = self
        for (index, step) in steps.enumerated() {
            switch state.pose(after: step.command, on: grid) {
            case .failure(let error): return .failure(MoveError("step \(index + 1): \(error.description)"))
            case .success(let pose): state.pose = pose
            }
            state.steps += 1
            state.recent.append(Entry(height: height, step: Step(command: step.command, patrol: step.patrol), proposer: proposer))
        }
        state.recent.removeFirst(max(0, state.recent.count - Self.recentMax))
        return .success(state)
    }

    /// The patrol: a deterministic policy used when no user command is queued.
    /// Go forward while the way is clear, turn right at walls, and every ninth
    /// block turn left so the robot does not circle one loop for ever.
    func patrolCommand(on grid: Grid, height: UInt64) -> Command {
        if height % 9 == 8 { return .left }
        if case .success = pose(after: .forward, on: grid) { return .forward }
        return .right
    }

    // MARK: - Canonical encoding (stored, and hashed into the state hash)

    var encoded: [UInt8] {
        var out: [UInt8] = [1]
        out.appendBigEndian(UInt16(pose.position.x))
        out.appendBigEndian(UInt16(pose.position.y))
        out.append(pose.heading.rawValue)
        out.appendBigEndian(height)
        out.appendBigEndian(steps)
        out.append(UInt8(recent.count))
        for entry in recent {
            out.appendBigEndian(entry.height)
            out.append(entry.step.command.rawValue | (entry.step.patrol ? RobotPayload.patrolBit : 0))
            out.append(UInt8(min(entry.proposer.count, 255)))
            out.append(contentsOf: entry.proposer.prefix(255))
        }
        return out
    }

    init?(encoded bytes: [UInt8]) {
        var reader = ByteReader(bytes)
        guard reader.byte() == 1, let x = reader.uint16(), let y = reader.uint16(),
              let headingRaw = reader.byte(), let heading = Heading(rawValue: headingRaw),
              let height = reader.uint64(), let steps = reader.uint64(), let count = reader.byte()
        else { return nil }
        self.init(start: Pose(position: Position(x: Int(x), y: Int(y)), heading: heading))
        self.height = height
        self.steps = steps
        for _ in 0..<count {
            guard let h = reader.uint64(), let code = reader.byte(),
                  let command = Command(rawValue: code & ~RobotPayload.patrolBit),
                  let length = reader.byte(), let proposer = reader.bytes(Int(length)) else { return nil }
            recent.append(Entry(height: h, step: Step(command: command, patrol: code & RobotPayload.patrolBit != 0),
                                proposer: proposer))
        }
        guard reader.isAtEnd else { return nil }
    }
}

struct MoveError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Bounds-checked big-endian reads: a short or corrupt record gives nil.
struct ByteReader {
    private let bytes: [UInt8]
    private var offset = 0
    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var isAtEnd: Bool { offset == bytes.count }

    mutating func bytes(_ count: Int) -> [UInt8]? {
        guard count >= 0, count <= bytes.count - offset else { return nil }
        defer { offset += count }
        return Array(bytes[offset..<offset + count])
    }
    mutating func byte() -> UInt8? { bytes(1)?[0] }
    mutating func uint16() -> UInt16? { bytes(2).map { $0.reduce(0) { $0 << 8 | UInt16($1) } } }
    mutating func uint64() -> UInt64? { bytes(8).map { $0.reduce(0) { $0 << 8 | UInt64($1) } } }
}
