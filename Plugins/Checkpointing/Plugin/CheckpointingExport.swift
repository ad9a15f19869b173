import CheckpointInterpreter

/// libcheckpointing.so: the interpreter with Metronome's interval rule.
@_cdecl("baton_plugin_entry")
public func batonPluginEntry() -> UnsafeRawPointer { InterpreterExports.interval.entry }
