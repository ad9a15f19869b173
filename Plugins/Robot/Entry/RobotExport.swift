import BatonPluginKit
import RobotPlugin

/// The plugin's one exported symbol; everything else is `RobotApp`.
private let export = PluginExport(
    RobotApp.self, name: "robot", version: RobotApp.version,
    description: "A robot on a grid with obstacles, steered by the federation (Metronome's example)",
    functions: RobotApp.functionDeclarations)

@_cdecl("baton_plugin_entry")
public func batonPluginEntry() -> UnsafeRawPointer { export.entry }
