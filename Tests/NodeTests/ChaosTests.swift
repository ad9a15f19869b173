import BatonConfig
import BatonCrypto
import Foundation
import BatonTestSupport
import Node
import Synchronization
import Testing

/// Issue 14's chaos run, CI-sized: real node processes under a load of
/// unique transactions over the HTTP API, killed with SIGKILL (once two at a
/// time), one restarted on a WAL cut behind its back (refused, then restored),
/// a twin with a member's key, and half-open connections. Every transaction
/// answered 202 must end up committed exactly once, on every node — except
/// one accepted by a node in the last 5 s before that node was killed,
/// which 202 does not promise (mempools are memory; its gossip may have
/// been dropped by a peer's full input queue under this load, leaving it
/// only with the node that died): those may be lost, never duplicated.
///
/// Longer by hand: `BATON_CHAOS_ROUNDS=30 swift test --filter ChaosTests`.
@Suite(.processTests) struct ChaosTests {
    /// Submits "chaos-<i>=<i>" one at a time, round robin over the APIs, and
    /// keeps those answered 202. Bounded: at most `limit` requests, and it
    /// stops when told.
    final class Load: Sendable {
        /// Key, the node that answered 202, when (uptime ns).
        let accepted = Mutex<[(key: String, node: Int, at: UInt64)]>([])
        /// When each node was killed.
        let kills = Mutex<[(node: Int, at: UInt64)]>([])
        let refused = Atomic<Int>(0)
        let stopped = Atomic<Bool>(false)

        func killed(_ node: NodeProcess, index: Int) async {
            kills.withLock { $0.append((index, DispatchTime.now().uptimeNanoseconds)) }
            await node.kill9()
        }

        /// Accepted by a node killed within the next 5 s: 202 promised it nothing.
        func atRisk(_ entry: (key: String, node: Int, at: UInt64)) -> Bool {
            kills.withLock { kills in kills.contains { $0.node == entry.node && $0.at >= entry.at && $0.at - entry.at < 5_000_000_000 } }
        }

        func run(apis: [String], limit: Int) async {
            for i in 0..<limit where !stopped.load(ordering: .relaxed) {
                let key = "chaos-\(i)"
                let reply = try? await httpRequest("http://\(apis[i % apis.count])/v1/tx", method: "POST",
                                                   body: Data("\(key)=\(i)".utf8))
                if reply?.status == 202 {
                    accepted.withLock { $0.append((key, i % apis.count, DispatchTime.now().uptimeNanoseconds)) }
                } else {
                    refused.add(1, ordering: .relaxed)  // a node down or cut off: 503 or no answer
                    try? await Task.sleep(for: .milliseconds(20))
                }
            }
        }
    }

    func folder(_ config: String) -> String { URL(fileURLWithPath: config).deletingLastPathComponent().path }

    func gauge(_ name: String, api: String) async -> Double { await prometheusValue(name, at: "http://\(api)/metrics") }

    /// Every node finalizes at least `blocks` more blocks (bounded).
    func advance(_ nodes: [NodeProcess], by blocks: UInt64) async -> Bool {
        let target = (nodes.map(\.height).max() ?? 0) + blocks
        return await waitUntil(seconds: 90) { nodes.allSatisfy { $0.height >= target } }
    }

    @Test func killsACutWALATwinAndHalfOpenConnectionsLoseNothing() async throws {
        let rounds = Int(ProcessInfo.processInfo.environment["BATON_CHAOS_ROUNDS"] ?? "") ?? 4
        let net = try await Testnet(plugin: "kvstore")
        let apis = (0..<4).map(net.api)
        var nodes = try net.configs.map { try NodeProcess(config: $0) }
        defer { nodes.forEach { $0.dispose() } }
        #expect(await advance(nodes, by: 3), "\(nodes.map { $0.stderrTail() })")
        let load = Load()
        let generator = Task { await load.run(apis: apis, limit: 100_000) }

        for round in 0..<rounds {
            let victim = round % 4
            await load.killed(nodes[victim], index: victim)
            if round == 1 {
                // A WAL cut behind the stopped node's back: it refuses to start,
                // and starts as before once the WAL is put back.
                let db = folder(net.configs[victim]) + "/data/db"
                let wals = try FileManager.default.contentsOfDirectory(atPath: db).filter { $0.hasSuffix(".log") }
                let saved = try wals.map { try Data(contentsOf: URL(fileURLWithPath: db + "/" + $0)) }
                for wal in wals { truncate(db + "/" + wal, 0) }
                let refused = try await runProcess("baton", ["node", "--config", net.configs[victim]])
                #expect(refused.status == 1 && refused.stderr.contains("the database lost writes that had been synced"),
                        "\(refused.stderr.suffix(400))")
                for (wal, bytes) in zip(wals, saved) { try bytes.write(to: URL(fileURLWithPath: db + "/" + wal)) }
            }
            if round == 2 {
                // Two down at once: no quorum, the chain stalls; lone nodes answer 503.
                let second = (victim + 1) % 4
                await load.killed(nodes[second], index: second)
                try await Task.sleep(for: .seconds(2))
                nodes[second] = try NodeProcess(config: net.configs[second])
            }
            try await Task.sleep(for: .seconds(1))  // the chaos schedule: downtime, not a wait for an event
            nodes[victim] = try NodeProcess(config: net.configs[victim])
            #expect(await advance(nodes, by: 3), "round \(round): heights \(nodes.map(\.height)); \(nodes.map { $0.stderrTail() })")
        }

        // A twin of the member whose key sorts lowest (it dials every peer, so
        // its twin does too; a twin of the highest key would dial no one):
        // it must not take the member's connections, and the member keeps finalizing.
        let keys = try Genesis.load(net.genesis).members.map(\.publicKey)
        let member = keys.indices.min { keys[$0] < keys[$1] }!
        let twinFolder = folder(net.configs[member]) + "/twin"
        try FileManager.default.createDirectory(atPath: twinFolder, withIntermediateDirectories: true)
        let config = try String(contentsOfFile: net.configs[member], encoding: .utf8)
            .replacingOccurrences(of: "key_file = \"key.json\"", with: "key_file = \"../key.json\"")
            .replacingOccurrences(of: "genesis_file = \"../genesis.json\"", with: "genesis_file = \"../../genesis.json\"")
            .replacingOccurrences(of: "127.0.0.1:\(net.basePort + member)\"", with: "127.0.0.1:\(net.basePort + 50)\"")
            .replacingOccurrences(of: "api = \"\(apis[member])\"\n", with: "")
        try config.write(toFile: twinFolder + "/node.toml", atomically: true, encoding: .utf8)
        let twin = try NodeProcess(config: twinFolder + "/node.toml")
        var duplicates = 0.0
        #expect(await waitUntil(seconds: 60) {
            var sum = 0.0
            for api in apis { sum += max(await gauge("baton_network_duplicate_key_connections", api: api), 0) }
            duplicates = sum
            return sum >= 1
        }, "twin log: \(twin.stderrTail())")
        #expect(await advance(nodes, by: 3), "with the twin: heights \(nodes.map(\.height))")
        await twin.kill9()
        #expect(duplicates >= 1)
        #expect(await advance(nodes, by: 3), "after the twin: heights \(nodes.map(\.height))")

        // Half-open connections to member 2: closed at the handshake deadline.
        let consensusPort = net.basePort + 2
        let idle = try (0..<20).map { _ in try LoopbackSocket(port: consensusPort, receiveTimeoutSeconds: 1) }
        #expect(await idle.asyncAllSatisfy { await $0.closedByPeerWithin(milliseconds: 20_000) })

        load.stopped.store(true, ordering: .relaxed)
        await generator.value
        let entries = load.accepted.withLock { $0 }
        let accepted = entries.filter { !load.atRisk($0) }.map(\.key)
        let atRisk = entries.filter { load.atRisk($0) }.map(\.key)
        #expect(accepted.count >= 50, "only \(accepted.count) accepted, \(load.refused.load(ordering: .relaxed)) refused")

        // Every mempool drains: each accepted transaction is in a block or was
        // refused as committed (expiry takes 60 s and 20 blocks, longer than this wait).
        let drained = await waitUntil(seconds: 120) {
            for api in apis {
                guard let status = try? await httpRequest("http://\(api)/v1/status"), status.json["mempool"] as? Int == 0 else { return false }
            }
            return true
        }
        #expect(drained, "mempools did not drain")
        // Every node holds the same state at the same height.
        let common = (nodes.map(\.height).max() ?? 0) + 2
        #expect(await waitUntil(seconds: 90) { nodes.allSatisfy { $0.height >= common } })
        let states = Set(nodes.map { $0.hash(at: common) })
        #expect(states.count == 1 && states.first! != nil, "state hashes at \(common): \(states)")
        // Nothing twice: each accepted transaction is in exactly one finalized block.
        var seen: [String: Int] = [:]
        let height = common
        for h in 1...height {
            let block = try await httpRequest("http://\(apis[0])/v1/blocks/\(h)")
            for hash in block.json["transactions"] as? [String] ?? [] { seen[hash, default: 0] += 1 }
        }
        let twice = seen.filter { $0.value > 1 }
        #expect(twice.isEmpty, "\(twice.count) transactions committed more than once")
        func hash(_ key: String) -> String { SHA256Digest.hash(Array("\(key)=\(key.dropFirst(6))".utf8)).hex }
        let hashes = accepted.map(hash)
        let lost = hashes.filter { seen[$0] == nil }.count
        #expect(hashes.allSatisfy { (seen[$0] ?? 0) <= 1 }, "accepted transactions committed twice")
        // 202 is not durable (docs/operations.md, "The HTTP API"): a transaction only its
        // accepting node held (peers' mempools full under this load) dies
        // with that node whenever it is killed. CI's short run must lose
        // none; a long run by hand reports them and bounds them at 1 in 1,000.
        if rounds <= 4 {
            #expect(lost == 0, "\(lost) accepted transactions lost")
        } else {
            #expect(lost * 1_000 <= hashes.count, "\(lost) of \(hashes.count) accepted transactions lost")
        }
        #expect(atRisk.map(hash).allSatisfy { (seen[$0] ?? 0) <= 1 })
        print("chaos: \(rounds) rounds, \(accepted.count - lost) accepted and committed once, \(lost) lost, \(atRisk.count) accepted by a node killed within 5 s (\(atRisk.map(hash).filter { seen[$0] == 1 }.count) committed), \(load.refused.load(ordering: .relaxed)) refused or unanswered, \(height) blocks")
        #expect(nodes.allSatisfy { !$0.stderr.contains("SAFETY FAULT") && !$0.stderr.contains("misbehavior evidence") })
    }
}
