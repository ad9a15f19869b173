import BatonConsole
import Foundation

/// A `baton node` process whose "committed height=H hash=X" lines are
/// collected as they are printed.
public final class NodeProcess: @unchecked Sendable {
    public let process = Process()
    /// The node's config file: its data directory (and node.log) are read from it.
    public let config: String
    private let lock = NSLock()
    private var hashes: [UInt64: String] = [:]
    private var buffer = ""
    private var errors = ""

    /// `environment`: variables added to the test's own (e.g. SWIFT_BACKTRACE).
    public init(config: String, arguments: [String] = [], environment: [String: String] = [:]) throws {
        self.config = config
        process.executableURL = URL(fileURLWithPath: Paths.binary("baton"))
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        process.arguments = ["node", "--config", config, "--print-commits"] + arguments
        let pipe = Pipe()
        let errorPipe = Pipe()
        process.standardOutput = pipe
        process.standardError = errorPipe
        // Read on threads of their own until end of file (see `PipeReader`:
        // no dispatch source on the pipes).
        PipeReader.start(errorPipe.fileHandleForReading, name: "baton.test.node-stderr") { [weak self] data in
            let text = String(decoding: data, as: UTF8.self)
            self?.lock.withLock { self?.errors += text }
        }
        PipeReader.start(pipe.fileHandleForReading, name: "baton.test.node-stdout") { [weak self] data in
            self?.consume(data)
        }
        try process.run()
    }

    private func consume(_ data: Data) {
        lock.lock()
        defer { lock.unlock() }
        buffer += String(decoding: data, as: UTF8.self)
        let lines = buffer.split(separator: "\n", omittingEmptySubsequences: false)
        buffer = String(lines.last ?? "")
        for line in lines.dropLast() where line.hasPrefix("committed ") {
            let fields = line.split(separator: " ")
            guard fields.count == 3, let height = UInt64(fields[1].dropFirst(7)) else { continue }
            hashes[height] = String(fields[2].dropFirst(5))
        }
    }

    /// The highest height committed so far.
    public var height: UInt64 { lock.withLock { hashes.keys.max() ?? 0 } }
    public var stderr: String { lock.withLock { errors } }
    public func hash(at height: UInt64) -> String? { lock.withLock { hashes[height] } }

    /// The last lines of the node's log, minus connection chatter: what a failed expectation prints.
    public func stderrTail(lines: Int = 12) -> String {
        stderr.split(separator: "\n").filter { !$0.contains("peer connected") && !$0.contains("peer disconnected") }
            .suffix(lines).joined(separator: "\n")
    }

    /// The last lines of `<data_dir>/node.log` (info and up): what the node
    /// itself saw, read from its file rather than through the pipes this
    /// process reads, so a failure message can tell a stalled node from a
    /// stalled reader.
    public func logTail(lines: Int = 12) -> String {
        let folder = URL(fileURLWithPath: config).deletingLastPathComponent()
        let text = (try? String(contentsOfFile: config, encoding: .utf8)) ?? ""
        let dataDir = text.split(separator: "\n").first { $0.hasPrefix("data_dir") }
            .flatMap { $0.split(separator: "\"").dropFirst().first.map(String.init) } ?? "data"
        let path = dataDir.hasPrefix("/") ? dataDir + "/node.log" : folder.appendingPathComponent(dataDir).path + "/node.log"
        guard let log = try? String(contentsOfFile: path, encoding: .utf8) else { return "(no node.log at \(path))" }
        return log.split(separator: "\n").filter { !$0.contains("peer connected") && !$0.contains("peer disconnected") }
            .suffix(lines).joined(separator: "\n")
    }

    /// SIGKILL, then waits (off the cooperative pool) for the exit.
    public func kill9() async {
        kill(process.processIdentifier, SIGKILL)
        await waitForExit()
    }

    /// SIGINT, then waits (off the cooperative pool) for the exit.
    public func stop() async {
        if process.isRunning { process.interrupt() }
        await waitForExit()
    }

    /// For a `defer` (which cannot await): SIGINT now, and a thread of its own
    /// waits for the exit, SIGKILLing the node if it is still running after
    /// 15 s. Never blocks the caller; the node is gone shortly after the test.
    public func dispose() {
        guard process.isRunning else { return }
        process.interrupt()
        let process = process
        Thread { ProcessEnd.wait(process, killingAfter: 15) }.start()
    }

    /// Waits for the process to exit on a thread of its own: `waitUntilExit`
    /// on the cooperative pool would hold one of its two threads.
    public func waitForExit() async {
        let process = process
        await offThePool { process.waitUntilExit() }
    }
}
