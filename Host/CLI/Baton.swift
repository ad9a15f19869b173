import ArgumentParser

@main
struct Baton: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "baton",
        abstract: "A Byzantine-fault-tolerant replication host that runs your state machine as a plugin.",
        discussion: """
            Baton replicates an application — a shared object loaded through a C ABI \
            (PluginAPI/include/baton_plugin.h) — across a committee of nodes with Jolteon \
            consensus. Plugins are found in --plugin-dir, else ./plugins, else next to this binary.
            """,
        version: "0.1.0 (plugin ABI \(PluginABIVersion.text))",
        subcommands: [DemoCommand.self, TestnetCommand.self, InitCommand.self, GenesisCommand.self, NodeCommand.self, CallCommand.self, UpgradeCommand.self, CommitteeCommand.self, CheckpointCommand.self, KeygenCommand.self, SimulateCommand.self, PluginsCommand.self, BenchCommand.self, DebugCommand.self, PluginHostCommand.self, SnapshotCommand.self])
}
