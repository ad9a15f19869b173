import BatonConfig
import ArgumentParser
#if canImport(Glibc)
import Glibc
#endif
import Consensus
import Node
import Simulation
import Storage

/// Tools for tests and operators; hidden from `baton --help`.
struct DebugCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "debug", abstract: "Internal tools for tests.", shouldDisplay: false,
        subcommands: [SafetyWriter.self, Leaders.self])

    /// Writes ever-higher safety data synchronously and prints each view once
    /// its write returned, until killed: the crash test kills it with SIGKILL
    /// and checks that every printed view survived.
    struct SafetyWriter: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "safety-writer")

        @Option var dir: String
        @Option var count = 1_000_000

        func run() throws {
            let genesis = SimulatedCommittee(n: 4, seed: 1).genesis
            let store = try NodeStore(directory: dir, genesis: genesis, create: true)
            for view in 1...UInt64(count) {
                try store.saveSafetyData(SafetyData(highestVotedView: view, highestTimeoutView: view / 2))
                // Unbuffered: a line on the pipe means the write had returned.
                let line = "durable \(view)\n"
                line.withCString { _ = write(STDOUT_FILENO, $0, strlen($0)) }
            }
        }
    }

    /// Who the stake draw names for each view (from the genesis's seed): to
    /// read a node's log of timeouts against it. Under leader reputation (the
    /// default) the live leader is this one while every member is active;
    /// `GET /v1/status` shows who is not, and views passed over are counted.
    struct Leaders: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "leaders",
            abstract: "The stake draw's leader for each view (reputation passes over members that are not active).")

        @Option var genesis: String
        @Option var from: UInt64 = 1
        @Option var count: UInt64 = 40

        func run() throws {
            let committee = try Genesis.load(genesis).resolve().committee
            for view in from..<from + count { print("view \(view) leader \(committee.leader(of: view))") }
        }
    }
}
