import Foundation
import BatonTestSupport
import Testing

/// The app-agreement rules (see `AppAgreement`) with real `baton node`
/// processes and a real plugin built twice from Tests/Fixtures/fixture.c:
/// deterministically, and with the process id mixed into its state hash
/// from height `divergesAt` on.
@Suite(.processTests) struct AppDivergenceProcessTests {
    static let divergesAt = 12

    /// One plugin folder with both builds of the application "fixture".
    func pluginFolder() async throws -> String {
        let folder = try makeTemporaryDirectory("baton-plugins")
        _ = try await CCompiler.fixture(name: "libfixture.so", in: folder)
        _ = try await CCompiler.fixture(["FIXTURE_NONDETERMINISTIC_FROM=\(Self.divergesAt)"],
                                  name: "libfixture-nondeterministic.so", in: folder)
        return folder
    }

    func status(_ api: String) async -> [String: Any] {
        (try? await httpRequest("http://\(api)/v1/status"))?.json ?? [:]
    }

    @Test func aNodeWhoseAppDivergesStopsItselfAndTheOthersGoOn() async throws {
        let net = try await Testnet(plugin: "fixture", pluginDirectory: try pluginFolder())
        try net.configure(3, "plugin = \"fixture-nondeterministic\"\nstop_linger_ms = 4000")
        // Node 3 first, alone (it can finalize nothing without two more):
        // subscribed to its events before any block can commit, then the others.
        var nodes = [try NodeProcess(config: net.configs[3])]
        defer { nodes.forEach { $0.dispose() } }
        try #require(await waitUntil(seconds: 30) { await status(net.api(3))["view"] != nil }, "\(nodes[0].stderrTail())")
        let events = try EventStreamReader(api: net.api(3))
        try #require(await events.awaitHeaders(), "the event stream did not start")
        nodes = try net.configs[0...2].map { try NodeProcess(config: $0) } + nodes
        let diverged = try #require(await events.next("diverged"), "no diverged event; \(nodes[3].stderrTail())")
        let event = try #require(try JSONSerialization.jsonObject(with: Data(diverged.utf8)) as? [String: Any])
        let height = try #require(event["height"] as? Int)
        #expect(height >= Self.divergesAt)
        // While it lingers, its status and metrics say why.
        let shown = await status(net.api(3))["appDiverged"] as? [String: Any]
        #expect(shown?["height"] as? Int == height && shown?["ownHash"] as? String == event["ownHash"] as? String)
        let metrics = try await httpRequest("http://\(net.api(3))/metrics")
        #expect(String(decoding: metrics.body, as: UTF8.self).contains("baton_app_diverged 1"))
        // It exits with status 1, names height, both hashes and what to do, and keeps its data.
        await nodes[3].waitForExit()
        #expect(nodes[3].process.terminationStatus == 3)  // stopped itself: the operator's turn, not a restart
        let log = nodes[3].stderr
        #expect(log.contains("APP DIVERGED at height \(height)"), "\(nodes[3].stderrTail())")
        #expect(log.contains(event["ownHash"] as? String ?? "?") && log.contains(event["otherHash"] as? String ?? "?"))
        #expect(log.contains("move this node's data directory aside"))
        let dataDir = URL(fileURLWithPath: net.configs[3]).deletingLastPathComponent().path + "/data/db/CURRENT"
        #expect(FileManager.default.fileExists(atPath: dataDir))
        // The other three finalize on, and agree.
        let target = UInt64(height + 6)
        #expect(await waitUntil(seconds: 90) { nodes[0...2].allSatisfy { $0.height >= target } },
                "heights \(nodes.map(\.height)); \(nodes[0].stderrTail())")
        let hashes = Set(nodes[0...2].compactMap { $0.hash(at: target) })
        #expect(hashes.count == 1, "state hashes at \(target): \(hashes)")
    }

    @Test func whenEveryAppDivergesTheChainStopsAndEveryNodeSaysWhy() async throws {
        let net = try await Testnet(plugin: "fixture", pluginDirectory: try pluginFolder())
        for i in 0..<4 {
            try net.configure(i, "plugin = \"fixture-nondeterministic\"")
            try net.replace(i, "timeout_ms_base = 1000", with: "timeout_ms_base = 400")
            try net.replace(i, "timeout_ms_max = 10000", with: "timeout_ms_max = 1500")
            try net.replace(i, "idle_block_interval_ms = 300", with: "idle_block_interval_ms = 150")
        }
        let nodes = try net.configs.map { try NodeProcess(config: $0) }
        defer { nodes.forEach { $0.dispose() } }
        try #require(await waitUntil(seconds: 30) { nodes.allSatisfy { $0.height > 0 } }, "\(nodes[0].stderrTail())")
        func refusals(_ i: Int) async -> [String: Any]? { await status(net.api(i))["appState"] as? [String: Any] }
        // Every node refuses proposals whose app state is not its own...
        let refusing = await waitUntil(seconds: 90) {
            for i in 0..<4 { guard (await refusals(i))?["refusedProposals"] as? Int ?? 0 > 0 else { return false } }
            return true
        }
        #expect(refusing, "heights \(nodes.map(\.height)); \(nodes[0].stderrTail())")
        // ... and from then on, while views go by, nothing is finalized.
        func views() async -> [Int] { var v: [Int] = []; for i in 0..<4 { v.append(await status(net.api(i))["view"] as? Int ?? 0) }; return v }
        func heights() async -> [Int] { var h: [Int] = []; for i in 0..<4 { h.append(await status(net.api(i))["finalizedHeight"] as? Int ?? -1) }; return h }
        for _ in 0..<2 {  // what was certified before the last agreeing proposal may still finalize
            let from = await views().max() ?? 0
            #expect(await waitUntil(seconds: 60) { (await views().min() ?? 0) >= from + 3 })
        }
        let stalled = await heights()
        let from = await views().max() ?? 0
        #expect(await waitUntil(seconds: 60) { (await views().min() ?? 0) >= from + 4 })
        let after = await heights()
        #expect(after == stalled, "finalized heights moved: \(stalled) → \(after)")
        #expect(stalled.allSatisfy { $0 >= Self.divergesAt - 1 && $0 < Self.divergesAt + 4 }, "\(stalled)")
        for i in 0..<4 {
            #expect(nodes[i].process.isRunning, "node \(i) stopped: \(nodes[i].stderrTail())")
            let last = (await refusals(i))?["lastRefusal"] as? [String: Any]
            #expect(last?["height"] as? Int ?? 0 >= Self.divergesAt)
            #expect(nodes[i].stderr.contains("not voting: the proposal's app state hash is not this node's app's"))
        }
    }
}

/// A plugin that crashes inside a call takes the process down — it is native
/// code in the host's address space — but the node first says which plugin
/// and which call.
@Suite(.processTests) struct PluginCrashProcessTests {
    @Test func aCrashInCommitNamesThePluginAndTheCall() async throws {
        let folder = try makeTemporaryDirectory("baton-plugins")
        _ = try await CCompiler.fixture(name: "libfixture.so", in: folder)
        let config = folder + "/crash.conf"
        try "crash-commit".write(toFile: config, atomically: true, encoding: .utf8)
        let net = try await Testnet(plugin: "fixture", extraArguments: ["--plugin-config", config], pluginDirectory: folder)
        // Swift's backtracer is not asked: it would symbolicate the plugin's
        // frames for seconds after our line (the node skips it in plugin calls).
        let nodes = try net.configs.map { try NodeProcess(config: $0) }
        defer { nodes.forEach { $0.dispose() } }
        // The first commit aborts the nodes that make it (once two are gone,
        // the other two cannot finalize any more, and stay up).
        #expect(await waitUntil(seconds: 60) { nodes.filter { !$0.process.isRunning }.count >= 2 })
        for node in nodes where !node.process.isRunning {
            await node.waitForExit()
            #expect(node.process.terminationReason == .uncaughtSignal)
            // The line names the call, the height and the block; no backtrace follows it.
            #expect(node.stderr.contains("baton: the process is dying in plugin 'fixture', call commit_block at height 1, view "),
                    "\(node.stderrTail())")
            #expect(node.stderr.contains(", block ") && !node.stderr.contains("Program crashed"), "\(node.stderrTail())")
        }
    }
}
