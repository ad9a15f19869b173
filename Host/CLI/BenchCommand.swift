import ArgumentParser
import BatonBench

/// `baton bench`: every benchmark lives in BatonBench; this only lists them.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Benchmarks. Figures vary between machines; compare on one machine.",
        subcommands: [ClusterBench.self, SyncBench.self, PluginCallBench.self, CryptoBench.self, CodecBench.self,
                      ConsensusBench.self, StorageBench.self, SnapshotBench.self])
}
