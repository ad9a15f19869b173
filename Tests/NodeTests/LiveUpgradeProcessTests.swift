import BatonTestSupport
import Foundation
import Testing

/// Live upgrades with real processes (issue 16): a plan proposed and approved
/// with members' key files through `baton upgrade`, decided in blocks, and
/// every node switching its application between two blocks at the plan's
/// height, without a restart; a node without the new plugin stops applying at
/// that height and resumes when the file is copied in; a node that syncs
/// from zero switches at the same height.
@Suite(.processTests) struct LiveUpgradeProcessTests {
    func height(_ api: String) async -> Int {
        (try? await httpRequest("http://\(api)/v1/status"))?.json["finalizedHeight"] as? Int ?? 0
    }

    func status(_ api: String) async -> [String: Any] { (try? await httpRequest("http://\(api)/v1/status"))?.json ?? [:] }
    /// The view of the finalized block at `height` (-1 if it is not there).
    func view(_ api: String, at height: Int) async -> Int {
        (try? await httpRequest("http://\(api)/v1/blocks/\(height)"))?.json["view"] as? Int ?? -1
    }

    /// Proposes with member 0's key and approves with members 1 and 2: three
    /// of four, more than two thirds. Returns the plan id.
    func decide(_ net: Testnet, plugin: String, pluginDirectory: String, at height: Int) async throws -> String {
        let key = { (i: Int) in URL(fileURLWithPath: net.configs[i]).deletingLastPathComponent().path + "/key.json" }
        let proposed = try await runProcess("baton", ["upgrade", "propose", "--api", net.api(0), "--key", key(0), "--plugin", plugin,
                                                "--plugin-dir", pluginDirectory, "--at", "\(height)"])
        #expect(proposed.status == 0, "\(proposed.output)")
        let plan = try #require(proposed.stdout.split(separator: "\n").first { $0.hasPrefix("plan id ") }?.split(separator: " ").last)
        // The proposal must be committed (the plan open) before approvals are taken.
        var approved = 0
        for _ in 0..<100 where approved < 2 {
            approved = 0
            for i in 1...2 {
                let run = try await runProcess("baton", ["upgrade", "approve", "--api", net.api(i), "--key", key(i), "--plan", String(plan)])
                if run.status == 0 || run.stderr.contains("already") { approved += 1 }
            }
            if approved < 2 { try await Task.sleep(for: .milliseconds(200)) }
        }
        #expect(approved == 2, "the approvals were not taken")
        return String(plan)
    }

    @Test func aCheckpointingFederationSwitchesToTheAgedPolicyAtACommittedHeightWithoutARestart() async throws {
        let probe = CheckpointingProcessTests()
        let cluster = try await probe.checkpointFederation(config: "interval = 5\ndepth = 3\nevery = 3\nmin_age_ms = 300\n")
        let ports = Array(cluster.chainPorts.prefix(4))
        let chains = try ports.enumerated().map {
            try CheckpointingProcessTests.ChainProcess(index: $0.offset, port: $0.element, peers: ports, directory: cluster.directory,
                                                       genesis: cluster.genesis, hashrate: CheckpointingProcessTests.honestHashrate)
        }
        defer { chains.forEach { $0.dispose() } }
        let nodes = try cluster.configs.map { try NodeProcess(config: $0) }
        defer { nodes.forEach { $0.dispose() } }
        let apis = (0..<4).map { cluster.apiAddress($0) }
        #expect(await waitUntil(seconds: 90) { await probe.latestCheckpoint(chains[0].address)?.height ?? 0 >= 5 })

        // Decide: from H on, the application is the aged policy's build.
        let net = try TestnetView(configs: cluster.configs, apis: apis)
        let start = await height(apis[0])
        let switchHeight = start + 50
        let plan = try await decide(net.testnet, plugin: "checkpointing-aged", pluginDirectory: Paths.binDirectory, at: switchHeight)
        // Every node prepares it ahead of the height, then switches at it.
        let switched = await waitUntil(seconds: 120) {
            for api in apis {
                let s = await status(api)
                guard (s["plugin"] as? [String: Any])?["version"] as? String == "1.0.0-aged",
                      s["finalizedHeight"] as? Int ?? 0 >= switchHeight else { return false }
            }
            return true
        }
        let heights = await apis.asyncMap { await height($0) }
        #expect(switched, "heights \(heights) for a switch at \(switchHeight)")
        // The status names the plan in force and the .so it pins, and keeps the history.
        let history = await status(apis[1])["upgrades"] as? [[String: Any]] ?? []
        #expect(history.count == 1 && history.first?["plan"] as? String == plan && history.first?["fromHeight"] as? Int == switchHeight
                && history.first?["inEffect"] as? Bool == true, "\(history)")
        let after = await status(apis[2])["plugin"] as? [String: Any]
        #expect(after?["plan"] as? String == plan && after?["pinned"] as? Bool == true)
        let agedDigest = await PluginDigest.of(Paths.shippedPlugin("checkpointing-aged"))
        #expect(after?["sha256"] as? String == agedDigest)
        let upgrade = try await httpRequest("http://\(apis[3])/v1/upgrade")
        let decided = upgrade.json["decided"] as? [[String: Any]] ?? []
        #expect(decided.first?["id"] as? String == plan && decided.first?["inEffect"] as? Bool == true)
        // No restart: each node is the process it was, and logged the switch at the height.
        for node in nodes { #expect(node.process.isRunning) }
        var gaps: [Double] = []
        for (index, node) in nodes.enumerated() {
            #expect(node.logTail(lines: 400).contains("application switched between two blocks"), "node \(index)")
            gaps.append(await prometheusValue("baton_upgrade_switch_gap_ms", at: "http://\(apis[index])/metrics"))
        }
        print("switch gap (ms) per node: \(gaps)")
        #expect(gaps.allSatisfy { $0 >= 0 }, "gaps \(gaps)")
        // The switch costs no view: the blocks around it follow view after
        // view (at most one lost, as any view may be). Counted, not timed.
        #expect(await waitUntil(seconds: 60) { await height(apis[0]) >= switchHeight + 2 })
        var views: [Int] = []
        for h in (switchHeight - 2)...(switchHeight + 2) { views.append(await view(apis[0], at: h)) }
        #expect(!views.contains(-1) && zip(views.dropFirst(), views).allSatisfy { $0 - $1 >= 1 && $0 - $1 <= 2 },
                "views of heights \(switchHeight - 2)...\(switchHeight + 2): \(views)")
        // Certificates keep coming, now by the aged policy (multiples of 3, not 5).
        let before = await probe.latestCheckpoint(chains[0].address)?.height ?? 0
        let aged = await waitUntil(seconds: 90) {
            guard let h = await probe.latestCheckpoint(chains[0].address)?.height else { return false }
            return h > before && h % 3 == 0 && h % 5 != 0
        }
        #expect(aged, "no aged-policy checkpoint after the switch (before \(before))")
    }

    @Test func aNodeWithoutTheNewPluginStopsAtTheHeightResumesWhenItArrivesAndASyncedNodeAgrees() async throws {
        let net = try await Testnet(followers: 1)
        // Each node its own plugin folder: the genesis's robot in all of them;
        // the plan's build (another file: a different SHA-256) in members 0-2
        // and the follower (configs[4]), not in member 3.
        let root = net.directory
        let buildB = root + "/librobot-b.so"
        try FileManager.default.copyItem(atPath: Paths.shippedPlugin("robot"), toPath: buildB)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: buildB))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data("build b".utf8))
        try handle.close()
        for i in 0..<5 {
            let folder = root + "/plugins-\(i)"
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            try FileManager.default.copyItem(atPath: Paths.shippedPlugin("robot"), toPath: folder + "/librobot.so")
            if i != 3 { try FileManager.default.copyItem(atPath: buildB, toPath: folder + "/librobot-b.so") }
            try net.replace(i, "plugin_dir = \"\(Paths.binDirectory)\"", with: "plugin_dir = \"\(folder)\"")
        }
        var nodes = try net.configs.map { try NodeProcess(config: $0) }
        defer { nodes.forEach { $0.dispose() } }
        #expect(await waitUntil(seconds: 60) { nodes.allSatisfy { $0.height >= 5 } })
        let switchHeight = await height(net.api(0)) + 45
        _ = try await decide(net, plugin: buildB, pluginDirectory: root, at: switchHeight)

        // Nodes 0-2 go past the height; node 3 stops before applying it, says
        // which file it needs, and stays up.
        #expect(await waitUntil(seconds: 90) { nodes[0...2].allSatisfy { $0.height >= switchHeight + 10 } },
                "heights \(nodes.map(\.height)) for a switch at \(switchHeight)")
        let waiting = await status(net.api(3))
        #expect((waiting["upgrade"] as? [String: Any])?["awaitingPlugin"] is String, "\(waiting["upgrade"] ?? "-")")
        #expect(nodes[3].height < switchHeight && nodes[3].process.isRunning)
        let log = nodes[3].logTail(lines: 400)
        #expect(log.contains("STOPPED APPLYING BLOCKS at height \(switchHeight)") && log.contains("SHA-256"), "\(nodes[3].logTail())")
        #expect(await prometheusValue("baton_upgrade_awaiting_plugin", at: "http://\(net.api(3))/metrics") == 1)

        // The file arrives: node 3 resumes by itself, switches at the height, and agrees.
        try FileManager.default.copyItem(atPath: buildB, toPath: root + "/plugins-3/librobot-b.so")
        let target = nodes[0].height
        #expect(await waitUntil(seconds: 60) { nodes[3].height >= target }, "node 3 at \(nodes[3].height) of \(target)")
        #expect(nodes[3].hash(at: target) != nil && nodes[3].hash(at: target) == nodes[0].hash(at: target))
        #expect(nodes[3].hash(at: UInt64(switchHeight)) == nodes[0].hash(at: UInt64(switchHeight)))
        // The follower (no vote) applied the decision from the blocks and switched at the height too.
        #expect(await waitUntil(seconds: 30) { nodes[4].height >= target })
        #expect(nodes[4].hash(at: UInt64(switchHeight)) == nodes[0].hash(at: UInt64(switchHeight)))
        #expect(nodes[4].hash(at: target) == nodes[0].hash(at: target))
        #expect(nodes[4].logTail(lines: 400).contains("application switched between two blocks"))

        // A node restarted after the height runs the plan's application from the start.
        await nodes[1].kill9()
        nodes[1] = try NodeProcess(config: net.configs[1])
        // (A restarted node prints commits from its stored head on: compare above where it was.)
        let resumed = nodes[0].height + 5
        #expect(await waitUntil(seconds: 60) { nodes[1].height >= resumed && nodes[0].height >= resumed },
                "restarted node at \(nodes[1].height) of \(resumed)")
        #expect(nodes[1].hash(at: resumed) == nodes[0].hash(at: resumed))
        #expect(nodes[1].logTail(lines: 400).contains("running the upgraded application in force at this height"))

        // A node wiped and synced from zero switches at the same height.
        await nodes[2].stop()
        try FileManager.default.removeItem(atPath: URL(fileURLWithPath: net.configs[2]).deletingLastPathComponent().path + "/data")
        nodes[2] = try NodeProcess(config: net.configs[2])
        let later = nodes[0].height
        #expect(await waitUntil(seconds: 90) { nodes[2].height >= later }, "synced node at \(nodes[2].height) of \(later)")
        #expect(nodes[2].hash(at: later) == nodes[0].hash(at: later))
        #expect(nodes[2].hash(at: UInt64(switchHeight)) == nodes[0].hash(at: UInt64(switchHeight)))
        #expect(nodes[2].logTail(lines: 400).contains("application switched between two blocks"))
    }

    /// `baton demo --upgrade-at`: the members sign a plan for the robot's
    /// second build, and the federation switches to it while the demo runs.
    @Test func theDemoSwitchesTheRobotToItsSecondBuildLive() async throws {
        let run = try await runProcess("baton", ["demo", "--upgrade-at", "40", "--duration", "25", "--base-port", "\(Ports.freeBase())"])
        #expect(run.status == 0, "\(run.output.suffix(800))")
        #expect(run.stdout.contains("upgrade: member 0 proposed") && run.stdout.contains("robot build 2.0.0"), "\(run.stdout.suffix(800))")
        #expect(run.stdout.split(separator: "\n").last?.contains("agree") == true)
    }
}

/// `decide` needs a `Testnet`'s keys and APIs; the checkpointing federation
/// is a testnet written by `baton testnet` too.
struct TestnetView {
    let testnet: Testnet

    init(configs: [String], apis: [String]) throws {
        let directory = URL(fileURLWithPath: configs[0]).deletingLastPathComponent().deletingLastPathComponent().path
        let port = Int(apis[0].split(separator: ":")[1])! - 100
        testnet = Testnet(existing: directory, basePort: port, configs: configs)
    }
}

/// The SHA-256 of a file, as the node reports a plugin's.
enum PluginDigest {
    static func of(_ path: String) async -> String? {
        let run = try? await runProcess("/usr/bin/sha256sum", [path])
        return run?.stdout.split(separator: " ").first.map(String.init)
    }
}
