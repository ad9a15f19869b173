import Foundation
import Synchronization

/// A finished helper process: its exit status and what it printed.
public struct ProcessRun: Sendable {
    public let status: Int32
    public let stdout: String
    public let stderr: String
    /// stdout then stderr.
    public var output: String { stdout + stderr }
}

/// Runs `binary arguments` to completion (a built binary by name — `baton`,
/// `powchain` — or a path) and collects its output. `environment`: variables
/// added to the test's own.
/// The wait runs off the cooperative pool (see `offThePool`).
public func runProcess(_ binary: String, _ arguments: [String], environment: [String: String] = [:]) async throws -> ProcessRun {
    try await offThePoolThrowing { try runProcessBlocking(binary, arguments, environment: environment) }
}

/// `runProcess`, blocking the calling thread: only for a thread of its own
/// (`offThePool`), or trait evaluation while tests are being planned.
public func runProcessBlocking(_ binary: String, _ arguments: [String], environment: [String: String] = [:]) throws -> ProcessRun {
    let path = binary.contains("/") ? binary : Paths.binary(binary)
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = arguments
    if !environment.isEmpty {
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    }
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    // stderr on its own thread: a process that fills one pipe while we wait on the other would hang.
    let errors = Mutex<Data>(Data())
    let stderrRead = DispatchSemaphore(value: 0)
    Thread {
        errors.withLock { $0 = err.fileHandleForReading.readDataToEndOfFile() }
        stderrRead.signal()
    }.start()
    let stdout = out.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    stderrRead.wait()
    return ProcessRun(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
                      stderr: String(decoding: errors.withLock { $0 }, as: UTF8.self))
}
