import Foundation
import Testing

/// Real `baton node` processes on loopback, replicating the robot plugin.
@Suite(.serialized) struct NodeProcessTests {
    static let binDirectory: String = {
        let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: executable).deletingLastPathComponent().path
    }()

    /// A node process whose "committed height=H hash=X" lines are collected.
    final class NodeProcess: @unchecked Sendable {
        let process = Process()
        private let lock = NSLock()
        private var hashes: [UInt64: String] = [:]
        private var buffer = ""

        init(config: String) throws {
            process.executableURL = URL(fileURLWithPath: NodeProcessTests.binDirectory + "/baton")
            process.arguments = ["node", "--config", config, "--print-commits"]
            let pipe = Pipe()
            process.standardOutput = pipe
            process.standardError = FileHandle.nullDevice
            pipe.fileHandleForReading.readabilityHandler = { [weak self] handle in self?.consume(handle.availableData) }
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

        var height: UInt64 { lock.withLock { hashes.keys.max() ?? 0 } }
        func hash(at height: UInt64) -> String? { lock.withLock { hashes[height] } }

        func stop() {
            if process.isRunning { process.interrupt() }
            process.waitUntilExit()
        }
    }

    /// Waits (bounded) until `condition` holds, re-checking as commits arrive.
    func waitUntil(seconds: Double, _ condition: () -> Bool) async -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if condition() { return true }
            try? await Task.sleep(for: .milliseconds(100))
        }
        return condition()
    }

    @Test func fourNodeProcessesFinalizeFiftyBlocksWithTheSameAppState() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("baton-testnet-\(UUID().uuidString)").path
        let port = 20_000 + Int.random(in: 0..<20_000)
        let setup = Process()
        setup.executableURL = URL(fileURLWithPath: Self.binDirectory + "/baton")
        setup.arguments = ["testnet", "--dir", dir, "--nodes", "4", "--plugin", "robot", "--base-port", "\(port)",
                           "--plugin-dir", Self.binDirectory]
        setup.standardOutput = FileHandle.nullDevice
        try setup.run()
        setup.waitUntilExit()
        #expect(setup.terminationStatus == 0)
        let nodes = try (0..<4).map { try NodeProcess(config: "\(dir)/node-\($0)/node.toml") }
        defer { nodes.forEach { $0.stop() } }
        let reached = await waitUntil(seconds: 90) { nodes.allSatisfy { $0.height >= 50 } }
        #expect(reached, "heights: \(nodes.map(\.height))")
        for height in [1, 25, 50] as [UInt64] {
            let hashes = Set(nodes.compactMap { $0.hash(at: height) })
            #expect(hashes.count == 1, "state hashes at height \(height): \(hashes)")
        }
    }
}
