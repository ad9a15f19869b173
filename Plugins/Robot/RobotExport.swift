import BatonPluginKit

/// The plugin's one exported symbol; everything else is `RobotApp`.
private let export = PluginExport(
    RobotApp.self, name: "robot", version: "1.0.0",
    description: "A robot on a grid with obstacles, steered by the federation (Metronome's example)")

@_cdecl("baton_plugin_entry")
public func batonPluginEntry() -> UnsafeRawPointer { export.entry }
