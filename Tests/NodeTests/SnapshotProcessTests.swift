import BatonAPI
import BatonTestSupport
import Foundation
import Testing

/// Issue 31: a wiped member comes back from a snapshot another member took
/// (`[storage] snapshot_interval`), exported and imported with `baton
/// snapshot`, instead of replaying from the genesis — real `baton node`
/// processes, the kvstore plugin.
@Suite(.processTests) struct SnapshotProcessTests {
    /// "… height 40, block …": the height `baton snapshot` printed.
    static func height(in output: String) -> UInt64? {
        let words = output.split(separator: " ")
        guard let at = words.firstIndex(of: "height"), at + 1 < words.count else { return nil }
        return UInt64(words[at + 1].filter(\.isNumber))
    }

    @Test func aWipedMemberComesBackFromASnapshotAndAgrees() async throws {
        let testnet = try await Testnet(plugin: "kvstore")
        for config in testnet.configs {
            let text = try String(contentsOfFile: config, encoding: .utf8)
            try (text + "\n[storage]\nsnapshot_interval = 20\n").write(toFile: config, atomically: true, encoding: .utf8)
        }
        var nodes = try testnet.configs.map { try NodeProcess(config: $0) }
        defer { nodes.forEach { $0.dispose() } }
        let api0 = "http://\(testnet.api(0))"
        #expect(await waitUntil(seconds: 60) { nodes.allSatisfy { $0.height >= 5 } }, "heights \(nodes.map(\.height))")
        let put = try await httpRequest(api0 + "/v1/tx", method: "POST", body: Data("color=teal".utf8))
        #expect(put.status == 202, "\(put.json)")
        #expect(await waitUntil(seconds: 60) { nodes.allSatisfy { $0.height >= 45 } }, "heights \(nodes.map(\.height))")

        // Member 3 loses its disk.
        await nodes[3].kill9()
        let node3 = URL(fileURLWithPath: testnet.configs[3]).deletingLastPathComponent().path
        try FileManager.default.removeItem(atPath: node3 + "/data")
        // Member 1's newest kept snapshot, exported while it runs, imported into 3's new data directory.
        let backup = try makeTemporaryDirectory("baton-snapshot-export") + "/snap"
        let export = try await runProcess("baton", ["snapshot", "export", "--config", testnet.configs[1], "--out", backup])
        #expect(export.status == 0, "\(export.output)")
        let listed = try await runProcess("baton", ["snapshot", "list", "--config", testnet.configs[1], "--verify"])
        #expect(listed.status == 0 && listed.output.contains("verified") && !listed.output.contains("DAMAGED"), "\(listed.output)")
        // A copy whose proof was tampered with is refused before anything is written.
        let tampered = backup + "-tampered"
        try FileManager.default.copyItem(atPath: backup, toPath: tampered)
        var proof = try #require(FileManager.default.contents(atPath: tampered + "/proof"), "the export carries the snapshot's proof")
        proof[proof.count - 40] ^= 0x01  // inside the QC's signatures
        try proof.write(to: URL(fileURLWithPath: tampered + "/proof"))
        let refused = try await runProcess("baton", ["snapshot", "import", "--config", testnet.configs[3], "--from", tampered])
        #expect(refused.status != 0 && refused.output.contains("refused"), "\(refused.output)")
        let imported = try await runProcess("baton", ["snapshot", "import", "--config", testnet.configs[3], "--from", backup])
        #expect(imported.status == 0 && imported.output.contains("restored into") && imported.output.contains("proven from the genesis"),
                "\(imported.output)")
        let snapshotHeight = try #require(Self.height(in: imported.output), "\(imported.output)")
        #expect(snapshotHeight >= 20)

        nodes[3] = try NodeProcess(config: testnet.configs[3])
        let target = nodes[0].height + 3
        // Both must have committed the target before their hashes are compared (node 0 may be a block behind 3).
        #expect(await waitUntil(seconds: 120) { nodes[3].height >= target && nodes[0].height >= target },
                "restored node at \(nodes[3].height) of \(target); log: \(nodes[3].stderrTail())")
        #expect(nodes[3].hash(at: target) != nil && nodes[3].hash(at: target) == nodes[0].hash(at: target))
        // It never replayed from the genesis: its blocks start at the snapshot's height.
        let api3 = "http://\(testnet.api(3))"
        let status = try #require(APIJSON.decode(NodeStatus.self, from: try await httpRequest(api3 + "/v1/status").body))
        #expect(status.storage.oldestRetainedHeight == snapshotHeight)
        #expect(try await httpRequest(api3 + "/v1/blocks/1").status == 410)
        // The app state came with the snapshot: the key written before it is there.
        #expect(String(decoding: try await httpRequest(api3 + "/v1/apps/query?request=color").body, as: UTF8.self) == "teal")
        // Following the chain does not wait for SR-R (signing does): the line may come after the target.
        #expect(await waitUntil(seconds: 60) {
            ((try? String(contentsOfFile: node3 + "/data/node.log", encoding: .utf8)) ?? "").contains("safety data recovered from the other members' certificates")
        }, "\(nodes[3].stderrTail())")
        #expect(nodes.allSatisfy { !$0.stderr.contains("misbehavior evidence") })
    }

    /// Issue 31, item 6: members keep only the newest 1,024 blocks, so a
    /// wiped member cannot replay from the genesis; started again with an
    /// empty store (`state_sync` absent) it learns so from its peers, stops,
    /// restores their snapshot, starts again, catches up by block sync and
    /// agrees. At the first start (`state_sync = true`) the others, holding
    /// nothing yet, let it start from the genesis at once.
    @Test func aWipedMemberStateSyncsFromPeersThatPrunedTheEarlyBlocks() async throws {
        let testnet = try await Testnet(plugin: "kvstore")
        let storage = "\n[storage]\nretain_blocks = 1024\nsnapshot_interval = 200\n"
        for (i, config) in testnet.configs.enumerated() {
            let text = try String(contentsOfFile: config, encoding: .utf8)
                .replacingOccurrences(of: "idle_block_interval_ms = 300", with: "idle_block_interval_ms = 10")
            // Member 3 is told to sync: at the first start the others tell it
            // they hold nothing, and it starts from the genesis at once.
            // The others serve snapshots at 1 MiB/s each: the sync lasts seconds, long enough to kill it.
            // They keep 16 snapshots (of 200 heights, ~1 s each here): the one member 3
            // starts on is still offered when it resumes.
            try (text + storage + (i == 3 ? "state_sync = true\n" : "snapshot_serve_bytes_per_second = 1048576\nsnapshots_kept = 16\n"))
                .write(toFile: config, atomically: true, encoding: .utf8)
        }
        var nodes = try testnet.configs.map { try NodeProcess(config: $0) }
        defer { nodes.forEach { $0.dispose() } }
        let api0 = "http://\(testnet.api(0))"
        #expect(await waitUntil(seconds: 60) { nodes.allSatisfy { $0.height >= 5 } }, "heights \(nodes.map(\.height)); \(nodes[0].logTail())")
        let put = try await httpRequest(api0 + "/v1/tx", method: "POST", body: Data("color=teal".utf8))
        #expect(put.status == 202, "\(put.json)")
        // About 20 MB of state: five snapshot chunks of 4 MiB, more than the three peers
        // fetch at once; in rounds the mempool (10,000 transactions) takes whole.
        let filler = String(repeating: "x", count: 990)
        for round in 0..<10 {
            var body = Data()
            for i in 0..<2_000 {
                let tx = Data("f\(round * 2_000 + i)=\(filler)".utf8)
                withUnsafeBytes(of: UInt32(tx.count).bigEndian) { body.append(contentsOf: $0) }
                body.append(tx)
            }
            let reply = try await httpRequest(api0 + "/v1/txs", method: "POST", body: body)
            #expect(reply.status == 200 && reply.json["accepted"] as? Int == 2_000, "\(reply.json)")
            #expect(await waitUntil(seconds: 60) {
                (try? await httpRequest(api0 + "/v1/apps/query?request=f\(round * 2_000 + 1_999)"))?.status == 200
            }, "round \(round) of the filler was not committed")
        }
        // Past the window: block 1 is gone everywhere (pruning runs in batches of 1,000).
        func pruned(_ i: Int) async -> Bool {
            guard let body = try? await httpRequest("http://\(testnet.api(i))/v1/status").body,
                  let status = APIJSON.decode(NodeStatus.self, from: body) else { return false }
            return status.storage.oldestRetainedHeight > 1
        }
        #expect(await waitUntil(seconds: 300) {
            for i in 0..<3 where !(await pruned(i)) { return false }
            return true
        }, "heights \(nodes.map(\.height))")

        await nodes[3].kill9()
        let node3 = URL(fileURLWithPath: testnet.configs[3]).deletingLastPathComponent().path
        try FileManager.default.removeItem(atPath: node3 + "/data")
        // Started again without the key (state_sync absent): it runs, learns
        // that its peers pruned its first blocks, stops, syncs and runs again.
        let text = try String(contentsOfFile: testnet.configs[3], encoding: .utf8)
        try text.replacingOccurrences(of: "state_sync = true\n", with: "").write(toFile: testnet.configs[3], atomically: true, encoding: .utf8)
        nodes[3] = try NodeProcess(config: testnet.configs[3])
        // kill -9 in the middle of the sync, once a first chunk is on disk (renamed from its .tmp)…
        let incoming = node3 + "/data/snapshots/incoming"
        #expect(await waitUntil(seconds: 90, intervalMs: 20) {
            ((try? FileManager.default.contentsOfDirectory(atPath: incoming)) ?? []).contains { $0.hasPrefix("chunk-") && !$0.hasSuffix(".tmp") }
        }, "no chunk arrived: \(nodes[3].logTail())")
        await nodes[3].kill9()
        // …and started again: it resumes with the chunks it verified.
        nodes[3] = try NodeProcess(config: testnet.configs[3])
        let target = nodes[0].height + 3
        #expect(await waitUntil(seconds: 120) { nodes[3].height >= target && nodes[0].height >= target },
                "synced node at \(nodes[3].height) of \(target); log: \(nodes[3].logTail())")
        #expect(nodes[3].hash(at: target) != nil && nodes[3].hash(at: target) == nodes[0].hash(at: target))
        let log = (try? String(contentsOfFile: node3 + "/data/node.log", encoding: .utf8)) ?? ""
        #expect(log.contains("it restores their newest snapshot (state sync) and starts again") && log.contains("state sync: restored the snapshot"),
                "\(nodes[3].logTail())")
        let kept = log.components(separatedBy: "alreadyHere=").dropFirst().compactMap { Int($0.prefix { $0.isNumber }) }
        #expect(kept.count >= 2 && kept.first == 0 && (kept.last ?? 0) >= 1, "chunks already here at each fetch: \(kept)")
        // Its blocks start at the snapshot's height (a multiple of the interval).
        let api3 = "http://\(testnet.api(3))"
        let status = try #require(APIJSON.decode(NodeStatus.self, from: try await httpRequest(api3 + "/v1/status").body))
        #expect(status.storage.oldestRetainedHeight > 1 && status.storage.oldestRetainedHeight % 200 == 0)
        // kvstore cannot recompute its chained hash: the status says what the restore rested on.
        #expect(status.storage.restoredFrom == status.storage.oldestRetainedHeight)
        #expect(status.storage.restoredStateCheck == "chunk-hashes-only")
        #expect(String(decoding: try await httpRequest(api3 + "/v1/apps/query?request=color").body, as: UTF8.self) == "teal")
        #expect(try await httpRequest(api3 + "/v1/apps/query?request=f19999").status == 200)
        // It signs again once SR-R told it where the others are.
        #expect(await waitUntil(seconds: 60) {
            ((try? String(contentsOfFile: node3 + "/data/node.log", encoding: .utf8)) ?? "").contains("safety data recovered from the other members' certificates")
        }, "\(nodes[3].logTail())")
        #expect(nodes.allSatisfy { !$0.stderr.contains("misbehavior evidence") })
    }
}
