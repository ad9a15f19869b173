import Foundation
import BatonTestSupport
import Testing

/// Real `baton node` processes on loopback, replicating the robot plugin.
@Suite(.processTests) struct NodeProcessTests {
    /// `baton testnet` (robot) into a fresh folder; returns the node config paths.
    func testnet(followers: Int = 0) async throws -> [String] { try await Testnet(followers: followers).configs }

    @Test func fourNodeProcessesFinalizeFiftyBlocksWithTheSameAppState() async throws {
        let nodes = try await testnet().map { try NodeProcess(config: $0) }
        defer { nodes.forEach { $0.dispose() } }
        let reached = await waitUntil(seconds: 90) { nodes.allSatisfy { $0.height >= 50 } }
        #expect(reached, "heights: \(nodes.map(\.height))")
        for height in [1, 25, 50] as [UInt64] {
            let hashes = Set(nodes.compactMap { $0.hash(at: height) })
            #expect(hashes.count == 1, "state hashes at height \(height): \(hashes)")
        }
        // SIGTERM and SIGINT both shut a node down gracefully: exit status 0.
        for (index, node) in nodes.enumerated() {
            kill(node.process.processIdentifier, index % 2 == 0 ? SIGTERM : SIGINT)
            await node.waitForExit()
            #expect(node.process.terminationReason == .exit && node.process.terminationStatus == 0,
                    "node \(index): \(node.process.terminationReason) \(node.process.terminationStatus) \(node.stderr.suffix(300))")
        }
    }

    @Test func aKilledNodeCatchesUpAfterRestartAndAgrees() async throws {
        let configs = try await testnet()
        // Leaders are drawn weighted-random per view, so some chains draw the
        // dead member for runs of views (one drew it for views 35-40), and
        // consecutive timeouts back off to timeout_ms_max: with 10 s a few
        // such runs took 90 s for 10 heights. This test is about catching up,
        // not that schedule: cap a failed view at 2 s.
        for config in configs {
            let text = try String(contentsOfFile: config, encoding: .utf8)
            try text.replacingOccurrences(of: "timeout_ms_max = 10000", with: "timeout_ms_max = 2000")
                .write(toFile: config, atomically: true, encoding: .utf8)
        }
        var nodes = try configs.map { try NodeProcess(config: $0) }
        defer { nodes.forEach { $0.dispose() } }
        #expect(await waitUntil(seconds: 60) { nodes.allSatisfy { $0.height >= 10 } })
        await nodes[3].kill9()
        let before = nodes[0].height
        // The other three keep finalizing without it (slower: the views it
        // leads, or in which it would collect the votes, time out).
        #expect(await waitUntil(seconds: 90) { nodes[0...2].allSatisfy { $0.height >= before + 10 } },
                "heights \(nodes[0...2].map(\.height)) from \(before); logs: \(nodes[0...2].map { $0.stderrTail() }); node.log: \(nodes[0...2].map { $0.logTail() })")
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
        let configs = try await testnet()
        for config in configs {
            // Idle blocks every 10 ms instead of 300: a long chain in seconds.
            let text = try String(contentsOfFile: config, encoding: .utf8)
            try text.replacingOccurrences(of: "idle_block_interval_ms = 300", with: "idle_block_interval_ms = 10")
                .write(toFile: config, atomically: true, encoding: .utf8)
        }
        var nodes = try configs.map { try NodeProcess(config: $0) }
        defer { nodes.forEach { $0.dispose() } }
        #expect(await waitUntil(seconds: 180) { nodes[0].height >= 1_000 }, "height \(nodes[0].height)")
        await nodes[3].stop()
        let data = URL(fileURLWithPath: configs[3]).deletingLastPathComponent().appendingPathComponent("data").path
        try FileManager.default.removeItem(atPath: data)
        nodes[3] = try NodeProcess(config: configs[3])
        let target = nodes[0].height
        #expect(await waitUntil(seconds: 120) { nodes[3].height >= target },
                "wiped node at \(nodes[3].height) of \(target); log: \(nodes[3].stderrTail())")
        #expect(nodes[3].hash(at: target) != nil && nodes[3].hash(at: target) == nodes[0].hash(at: target))
        #expect(nodes[3].hash(at: 1) == nodes[0].hash(at: 1))
        // SR-R: it signed nothing before the others told it where the chain
        // was, and no peer saw it sign twice.
        // Following the chain does not wait for SR-R (signing does): the line may come after the target.
        #expect(await waitUntil(seconds: 60) {
            ((try? String(contentsOfFile: data + "/node.log", encoding: .utf8)) ?? "").contains("safety data recovered from the other members' certificates")
        }, "\(nodes[3].stderrTail())")
        #expect(nodes.allSatisfy { !$0.stderr.contains("misbehavior evidence") })
    }

    @Test func killingAllFourAndRestartingContinuesTheChainWithoutDoubleVotes() async throws {
        let configs = try await testnet()
        var nodes = try configs.map { try NodeProcess(config: $0) }
        defer { nodes.forEach { $0.dispose() } }
        #expect(await waitUntil(seconds: 60) { nodes.allSatisfy { $0.height >= 10 } })
        for node in nodes { await node.kill9() }
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
    func demoRunsAndFinalizes(byzantine: Int) async throws {
        let run = try await runProcess("baton", ["demo", "--duration", "20", "--byzantine", "\(byzantine)",
                                                 "--base-port", "\(Ports.freeBase())"])
        let output = run.stdout
        #expect(run.status == 0, "\(output.suffix(600))")
        let last = output.split(separator: "\n").last.map(String.init) ?? ""
        #expect(last.contains("agree"))
        let height = last.split(separator: " ").firstIndex(of: "height").map { Int(last.split(separator: " ")[$0 + 1]) ?? 0 } ?? 0
        #expect(height > 0)
        #expect(output.contains("robot ("))
        // The status line counts the honest nodes' misbehavior proofs: the
        // equivocating leader's double proposals.
        let evidence = output.split(separator: "\n").compactMap { line -> Int? in
            let words = line.split(separator: " ")
            return words.firstIndex(of: "evidence").flatMap { $0 + 1 < words.count ? Int(words[$0 + 1]) : nil }
        }.max() ?? 0
        #expect(byzantine == 0 ? evidence == 0 : evidence > 0, "evidence \(evidence)")
    }

    @Test func aFollowerTracksTheChainWithoutVoting() async throws {
        let configs = try await testnet(followers: 1)
        let nodes = try configs.map { try NodeProcess(config: $0) }
        defer { nodes.forEach { $0.dispose() } }
        let follower = nodes[4]
        // Both commit height 15 a moment apart: wait for both lines.
        #expect(await waitUntil(seconds: 60) { follower.height >= 15 && nodes[0].height >= 15 },
                "follower at \(follower.height), node 0 at \(nodes[0].height)")
        #expect(follower.hash(at: 15) != nil && follower.hash(at: 15) == nodes[0].hash(at: 15),
                "follower \(follower.hash(at: 15) ?? "-"), node 0 \(nodes[0].hash(at: 15) ?? "-")")
    }
}
