import BatonPluginKit

/// The two shipped interpreters, one policy each. Each `.so` target exports
/// one of these as its `baton_plugin_entry` (built once, on first use).
public enum InterpreterExports {
    /// libcheckpointing.so: Metronome's interval rule.
    public static let interval = PluginExport(
        CheckpointInterpreter<IntervalPolicy>.self, name: "checkpointing", version: "1.0.0",
        description: "Checkpoints a proof-of-work chain: the block at last + interval once buried under depth blocks")

    /// libcheckpointing-aged.so: every Nth block, once old enough by the
    /// chain's clock. The same application (name) as the interval policy, so
    /// a node.toml `plugin = "checkpointing-aged"` may swap one for the other
    /// under one genesis; the version tells them apart.
    public static let aged = PluginExport(
        CheckpointInterpreter<AgedPolicy>.self, name: "checkpointing", version: "1.0.0-aged",
        description: "Checkpoints a proof-of-work chain: every Nth block once it is min_age_ms old")
}
