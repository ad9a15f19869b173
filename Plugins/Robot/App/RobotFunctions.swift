import BatonPluginKit

// Typed functions (ABI 1.3): the host calls them through libffi with the
// declared signatures; the committed state is read through the app's host.
// Both robot builds export them (they live in the shared module).

extension RobotApp {
    /// The declarations both builds' exports list.
    public static let functionDeclarations: [BatonFunction] = [
        BatonFunction("distance_to", symbol: "robot_distance_to", signature: "(x: i32, y: i32) -> i32",
                      description: "Moves on the shortest path from the robot to cell (x, y) around obstacles; -1 if unreachable"),
        BatonFunction("cell", symbol: "robot_cell", signature: "(x: i32, y: i32) -> str",
                      description: "What is at cell (x, y): 'robot facing <heading>', 'obstacle' or 'free'"),
    ]
}

@_cdecl("robot_distance_to")
public func robotDistanceTo(_ instance: UnsafeMutableRawPointer, _ host: UnsafeRawPointer, _ x: Int32, _ y: Int32) -> Int32 {
    (try? BatonFunctions.app(RobotApp.self, instance)?.distance(toX: Int(x), y: Int(y))) ?? -1
}

@_cdecl("robot_cell")
public func robotCell(_ instance: UnsafeMutableRawPointer, _ host: UnsafeRawPointer, _ x: Int32, _ y: Int32,
                      _ out: UnsafeRawPointer) -> Int32 {
    BatonFunctions.answer(to: out) {
        guard let app = BatonFunctions.app(RobotApp.self, instance) else { return .failure("not a robot instance") }
        return try app.cell(x: Int(x), y: Int(y))
    }
}
