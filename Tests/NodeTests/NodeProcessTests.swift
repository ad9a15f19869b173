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

        private var errors = ""

        init(config: String) throws {
            process.executableURL = URL(fileURLWithPath: NodeProcessTests.binDirectory + "/baton")
            process.arguments = ["node", "--config", config, "--print-commits"]
            let pipe = Pipe()
            let errorPipe = Pipe()
            process.standardOutput = pipe
            process.standardError = errorPipe
            errorPipe.fileHandleForReading.readabilityHandler = { [weak self] handle in
                let text = String(decoding: handle.availableData, as: UTF8.self)
                self?.lock.withLock { self?.errors += text }
            }
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
        var stderr: String { lock.withLock { errors } }
        /// The last lines of the node's log, minus connection chatter: what a failed expectation prints.
        func stderrTail(lines: Int = 12) -> String {
            stderr.split(separator: "\n").filter { !$0.contains("peer connected") && !$0.contains("peer disconnected") }
                .suffix(lines).joined(separator: "\n")
        }

        func kill9() {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
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

    /// A first port for a test cluster whose ports span `base ..< base + span`.
    /// Drawn below Linux's ephemeral range (32768 and up): a listener there can
    /// collide with the source port of any outgoing connection on the machine —
    /// a node's API once failed to bind in CI that way. Each port of the span
    /// is checked bindable before the base is handed out.
    static func freePortBase(span: Int = 500) -> Int {
        while true {
            let base = 10_000 + 500 * Int.random(in: 0..<((32_000 - 10_000) / 500))
            if (base..<base + span).allSatisfy(isBindable) { return base }
        }
    }

    private static func isBindable(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
    }

    /// `baton testnet` into a fresh folder; returns the node config paths.
    func testnet(followers: Int = 0) throws -> [String] {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("baton-testnet-\(UUID().uuidString)").path
        let port = Self.freePortBase()
        let setup = Process()
        setup.executableURL = URL(fileURLWithPath: Self.binDirectory + "/baton")
        setup.arguments = ["testnet", "--dir", dir, "--nodes", "4", "--plugin", "robot", "--base-port", "\(port)",
                           "--plugin-dir", Self.binDirectory, "--followers", "\(followers)"]
        setup.standardOutput = FileHandle.nullDevice
        try setup.run()
        setup.waitUntilExit()
        #expect(setup.terminationStatus == 0)
        return (0..<4).map { "\(dir)/node-\($0)/node.toml" } + (0..<followers).map { "\(dir)/follower-\($0)/node.toml" }
    }

    @Test func fourNodeProcessesFinalizeFiftyBlocksWithTheSameAppState() async throws {
        let nodes = try testnet().map { try NodeProcess(config: $0) }
        defer { nodes.forEach { $0.stop() } }
        let reached = await waitUntil(seconds: 90) { nodes.allSatisfy { $0.height >= 50 } }
        #expect(reached, "heights: \(nodes.map(\.height))")
        for height in [1, 25, 50] as [UInt64] {
            let hashes = Set(nodes.compactMap { $0.hash(at: height) })
            #expect(hashes.count == 1, "state hashes at height \(height): \(hashes)")
        }
        // SIGTERM and SIGINT both shut a node down gracefully: exit status 0.
        for (index, node) in nodes.enumerated() {
            kill(node.process.processIdentifier, index % 2 == 0 ? SIGTERM : SIGINT)
            node.process.waitUntilExit()
            #expect(node.process.terminationReason == .exit && node.process.terminationStatus == 0,
                    "node \(index): \(node.process.terminationReason) \(node.process.terminationStatus) \(node.stderr.suffix(300))")
        }
    }

    @Test func aKilledNodeCatchesUpAfterRestartAndAgrees() async throws {
        let configs = try testnet()
        var nodes = try configs.map { try NodeProcess(config: $0) }
        defer { nodes.forEach { $0.stop() } }
        #expect(await waitUntil(seconds: 60) { nodes.allSatisfy { $0.height >= 10 } })
        nodes[3].kill9()
        let before = nodes[0].height
        // The other three keep finalizing without it (slower: the views it
        // leads, or in which it would collect the votes, time out).
        #expect(await waitUntil(seconds: 90) { nodes[0...2].allSatisfy { $0.height >= before + 10 } },
                "heights \(nodes[0...2].map(\.height)) from \(before); logs: \(nodes[0...2].map { $0.stderrTail() })")
        nodes[3] = try NodeProcess(config: configs[3])
        let target = nodes[0].height
        #expect(await waitUntil(seconds: 90) { nodes[3].height >= target }, "restarted node at \(nodes[3].height), others at \(target)")
        let common = min(nodes[3].height, nodes[0].height)
        #expect(nodes[3].hash(at: common) != nil && nodes[3].hash(at: common) == nodes[0].hash(at: common))
    }

    /// A node that lost its data rejoins a chain over a thousand blocks long:
    /// too far for the walk back by id (the cache of unconnected proposals
    /// holds 128), so it catches up by height, 128 finalized blocks a request.
    @Test func aWipedNodeAThousandBlocksBehindCatchesUp() async throws {
        let configs = try testnet()
        for config in configs {
            // Idle blocks every 10 ms instead of 300: a long chain in seconds.
            let text = try String(contentsOfFile: config, encoding: .utf8)
            try text.replacingOccurrences(of: "idle_block_interval_ms = 300", with: "idle_block_interval_ms = 10")
                .write(toFile: config, atomically: true, encoding: .utf8)
        }
        var nodes = try configs.map { try NodeProcess(config: $0) }
        defer { nodes.forEach { $0.stop() } }
        #expect(await waitUntil(seconds: 180) { nodes[0].height >= 1_000 }, "height \(nodes[0].height)")
        nodes[3].stop()
        let data = URL(fileURLWithPath: configs[3]).deletingLastPathComponent().appendingPathComponent("data").path
        try FileManager.default.removeItem(atPath: data)
        nodes[3] = try NodeProcess(config: configs[3])
        let target = nodes[0].height
        #expect(await waitUntil(seconds: 120) { nodes[3].height >= target },
                "wiped node at \(nodes[3].height) of \(target); log: \(nodes[3].stderrTail())")
        #expect(nodes[3].hash(at: target) != nil && nodes[3].hash(at: target) == nodes[0].hash(at: target))
        #expect(nodes[3].hash(at: 1) == nodes[0].hash(at: 1))
    }

    @Test func killingAllFourAndRestartingContinuesTheChainWithoutDoubleVotes() async throws {
        let configs = try testnet()
        var nodes = try configs.map { try NodeProcess(config: $0) }
        defer { nodes.forEach { $0.stop() } }
        #expect(await waitUntil(seconds: 60) { nodes.allSatisfy { $0.height >= 10 } })
        nodes.forEach { $0.kill9() }
        nodes = try configs.map { try NodeProcess(config: $0) }
        // After a restart a node reports commits from its stored head on: wait for new heights.
        #expect(await waitUntil(seconds: 90) { nodes.allSatisfy { $0.height >= 25 } }, "heights \(nodes.map(\.height))")
        let hashes = Set(nodes.compactMap { $0.hash(at: 25) })
        #expect(hashes.count == 1)
        // Equivocation would be reported as evidence by the honest receivers.
        #expect(nodes.allSatisfy { !$0.stderr.contains("misbehavior evidence") })
        #expect(nodes.allSatisfy { !$0.stderr.contains("SAFETY FAULT") })
    }

    @Test(arguments: [0, 1])
    func demoRunsAndFinalizes(byzantine: Int) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.binDirectory + "/baton")
        process.arguments = ["demo", "--duration", "20", "--byzantine", "\(byzantine)",
                             "--base-port", "\(Self.freePortBase())"]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(output.suffix(600))")
        let last = output.split(separator: "\n").last.map(String.init) ?? ""
        #expect(last.contains("agree"))
        let height = last.split(separator: " ").firstIndex(of: "height").map { Int(last.split(separator: " ")[$0 + 1]) ?? 0 } ?? 0
        #expect(height > 0)
        #expect(output.contains("robot ("))
    }

    @Test func aFollowerTracksTheChainWithoutVoting() async throws {
        let configs = try testnet(followers: 1)
        let nodes = try configs.map { try NodeProcess(config: $0) }
        defer { nodes.forEach { $0.stop() } }
        let follower = nodes[4]
        // Both commit height 15 a moment apart: wait for both lines.
        #expect(await waitUntil(seconds: 60) { follower.height >= 15 && nodes[0].height >= 15 },
                "follower at \(follower.height), node 0 at \(nodes[0].height)")
        #expect(follower.hash(at: 15) != nil && follower.hash(at: 15) == nodes[0].hash(at: 15),
                "follower \(follower.hash(at: 15) ?? "-"), node 0 \(nodes[0].hash(at: 15) ?? "-")")
    }
}
