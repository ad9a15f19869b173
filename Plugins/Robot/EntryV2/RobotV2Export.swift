import BatonPluginKit
import RobotPlugin

/// The second robot build: the same application ("robot", the same state),
/// version 2.0.0, with the `uturn` command. A chain switches to it live at a
/// committed height (`baton upgrade`, `baton demo --upgrade-at`).
private let export = PluginExport(
    RobotAppV2.self, name: "robot", version: RobotAppV2.version,
    description: "A robot on a grid with obstacles, steered by the federation; this build adds 'uturn'",
    functions: RobotApp.functionDeclarations)

@_cdecl("baton_plugin_entry")
public func batonPluginEntry() -> UnsafeRawPointer { export.entry }
