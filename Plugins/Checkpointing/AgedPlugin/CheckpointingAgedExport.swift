import CheckpointInterpreter

/// libcheckpointing-aged.so: the same interpreter with the aged policy,
/// swapped in by configuration alone.
@_cdecl("baton_plugin_entry")
public func batonPluginEntry() -> UnsafeRawPointer { InterpreterExports.aged.entry }
