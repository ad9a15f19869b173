/// The robot's world: a bounded grid with obstacles. Row 0 is the top; north
/// is toward row 0.
public struct Grid: Sendable, Hashable, Codable {
    public var width: Int
    public var height: Int
    public var obstacles: [Position]
    public var start: Pose

    public static let sideMax = 256

    /// 12 × 8 with a few walls: enough for the patrol to be interesting.
    public static let standard = Grid(
        width: 12, height: 8,
        obstacles: [Position(x: 4, y: 2), Position(x: 4, y: 3), Position(x: 4, y: 4),
                    Position(x: 8, y: 5), Position(x: 9, y: 5), Position(x: 7, y: 1)],
        start: Pose(position: Position(x: 0, y: 0), heading: .east))

    public func contains(_ p: Position) -> Bool { p.x >= 0 && p.y >= 0 && p.x < width && p.y < height }
    public func isFree(_ p: Position) -> Bool { contains(p) && !obstacles.contains(p) }

    /// Why this grid cannot be used, or nil.
    public func problem() -> String? {
        guard (2...Self.sideMax).contains(width), (2...Self.sideMax).contains(height) else {
            return "grid sides must be 2...\(Self.sideMax), got \(width)×\(height)"
        }
        if let bad = obstacles.first(where: { !contains($0) }) { return "obstacle \(bad) lies outside the grid" }
        guard isFree(start.position) else { return "start \(start.position) is outside the grid or on an obstacle" }
        return nil
    }

    /// Canonical bytes, folded into the state hash so that nodes configured
    /// with different grids can never agree on a hash.
    var canonicalBytes: [UInt8] {
        var out = [UInt8]()
        out.appendBigEndian(UInt16(width))
        out.appendBigEndian(UInt16(height))
        out.appendBigEndian(UInt16(obstacles.count))
        for o in obstacles.sorted(by: { ($0.y, $0.x) < ($1.y, $1.x) }) {
            out.appendBigEndian(UInt16(o.x))
            out.appendBigEndian(UInt16(o.y))
        }
        return out
    }
}

public struct Position: Sendable, Hashable, Codable, CustomStringConvertible {
    public var x: Int
    public var y: Int
    public init(x: Int, y: Int) { self.x = x; self.y = y }
    public var description: String { "(\(x),\(y))" }

    func moved(_ heading: Heading, steps: Int) -> Position {
        switch heading {
        case .north: Position(x: x, y: y - steps)
        case .east: Position(x: x + steps, y: y)
        case .south: Position(x: x, y: y + steps)
        case .west: Position(x: x - steps, y: y)
        }
    }
}

public enum Heading: UInt8, Sendable, Hashable, CaseIterable {
    case north = 0, east, south, west
    var right: Heading { Heading(rawValue: (rawValue + 1) % 4)! }
    var left: Heading { Heading(rawValue: (rawValue + 3) % 4)! }
    var name: String {
        switch self {
        case .north: "north"
        case .east: "east"
        case .south: "south"
        case .west: "west"
        }
    }
}

/// In config JSON a heading is its name ("north", "east", "south", "west").
extension Heading: Codable {
    public init(from decoder: Decoder) throws {
        let name = try decoder.singleValueContainer().decode(String.self)
        guard let heading = Heading.allCases.first(where: { $0.name == name }) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
                debugDescription: "heading must be north, east, south or west, not '\(name)'"))
        }
        self = heading
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(name)
    }
}

public struct Pose: Sendable, Hashable, Codable {
    public var position: Position
    public var heading: Heading
}

extension Array where Element == UInt8 {
    mutating func appendBigEndian<T: FixedWidthInteger>(_ value: T) {
        Swift.withUnsafeBytes(of: value.bigEndian) { append(contentsOf: $0) }
    }
}
