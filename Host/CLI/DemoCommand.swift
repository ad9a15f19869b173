import BatonConsole
import ArgumentParser
import Foundation
import Synchronization

/// `baton demo`: the shipped applications, run locally as real processes.
/// `baton demo` alone is the robot (the README's main command).
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run a shipped application locally: the robot federation (default) or checkpointing.",
        subcommands: [RobotDemo.self, CheckpointingDemo.self],
        defaultSubcommand: RobotDemo.self)
}

/// Set from the SIGINT handler, read by a demo's progress loop.
final class StopFlag: Sendable {
    private let value = Atomic<Bool>(false)
    func set() { value.store(true, ordering: .relaxed) }
    var isSet: Bool { value.load(ordering: .relaxed) }
}

/// A demo's progress loop: calls `report(seconds)` once a second and prints
/// its line, until `duration` passes or SIGINT/SIGTERM arrives. Returns
/// whether it was interrupted.
func showProgress(duration: Int?, _ report: (Int) async -> String) async -> Bool {
    let stopRequested = StopFlag()
    let sources = onTerminationSignals { stopRequested.set() }
    defer { sources.forEach { $0.cancel() } }
    let start = Date()
    while true {
        if let duration, Date().timeIntervalSince(start) >= Double(duration) { return false }
        if stopRequested.isSet { return true }
        try? await Task.sleep(for: .seconds(1))
        printLine(await report(Int(Date().timeIntervalSince(start))))
    }
}
