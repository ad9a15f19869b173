import BatonAPI
import BatonTestSupport
import Foundation
import NodeHTTP
import Storage
import Synchronization
import Testing
@_spi(Testing) import Node

/// Pruning in a running federation (issue 31): real nodes (`LocalCluster`,
/// RocksDB, the kvstore plugin) keep going while one node's old blocks are
/// deleted under it; its API says a pruned height is gone, and where the
/// kept blocks start.
@Suite(.serialized) struct PruningNodeTests {
    /// Each node's store as it was opened, for a test to prune by hand.
    final class KeptStores: Sendable {
        private let stores = Mutex<[Int: NodeStore]>([:])
        func keep(_ i: Int, _ store: NodeStore) { stores.withLock { $0[i] = store } }
        subscript(_ i: Int) -> NodeStore? { stores.withLock { $0[i] } }
    }

    /// A cluster whose nodes' stores the test reaches.
    static func clusterKeepingStores() throws -> (LocalCluster, KeptStores) {
        let stores = KeptStores()
        let cluster = try LocalCluster(wrapStore: { i, store in
            stores.keep(i, store)
            return store
        })
        return (cluster, stores)
    }

    @Test func aPrunedHeightAnswersGoneAndTheFederationGoesOn() async throws {
        let (cluster, stores) = try Self.clusterKeepingStores()
        defer { cluster.removeDirectories() }
        try await cluster.startAll()
        #expect(await cluster.waitForHeight(12))
        let store = try #require(stores[0])
        let node = try #require(cluster.nodes[0])
        let floor = await offThePool { try? store.pruneStep(below: 10, batchMax: 100) }
        #expect(floor == 10 && node.oldestRetainedHeight == 10)

        let port = Ports.freeBase(span: 1)
        let server = Task { try await HTTPAPI.serve(node: node, host: "127.0.0.1", port: port) }
        defer { server.cancel() }
        let base = "http://127.0.0.1:\(port)"
        // A safety net, not the claim: under the full suite the server has taken over 10 s to answer first.
        #expect(await waitUntil(seconds: 60) { (try? await httpRequest(base + "/v1/status"))?.status == 200 })
        let gone = try await httpRequest(base + "/v1/blocks/3")
        #expect(gone.status == 410)
        let answer = try #require(APIJSON.decode(PrunedBlock.self, from: gone.body), "\(gone.json)")
        #expect(answer.oldestRetainedHeight == 10 && answer.error.contains("retain_blocks"))
        #expect(try await httpRequest(base + "/v1/blocks/10").status == 200)
        #expect(try await httpRequest(base + "/v1/blocks/0").status == 200, "the genesis is never pruned")
        #expect(try await httpRequest(base + "/v1/blocks/99999999").status == 404, "not yet is not gone")
        let status = try #require(APIJSON.decode(NodeStatus.self, from: try await httpRequest(base + "/v1/status").body))
        #expect(status.storage == StorageSummary(oldestRetainedHeight: 10, retainBlocks: nil), "pruned by hand: no window configured")

        // The pruned node goes on committing with the others, and they agree on what it kept.
        let height = await cluster.heights().compactMap { $0 }.max() ?? 12
        #expect(await cluster.waitForHeight(height + 3))
        #expect(try await cluster.agree(upTo: 12))
        await cluster.stopAll()
    }

    /// A wiped member started without state sync, whose peers pruned its
    /// next block, cannot catch up by block sync: it says so, and what to do.
    @Test func aNodeWhosePeersPrunedItsNextBlockSaysItCannotCatchUp() async throws {
        let (cluster, stores) = try Self.clusterKeepingStores()
        defer { cluster.removeDirectories() }
        try await cluster.startAll()
        #expect(await cluster.waitForHeight(25))
        await cluster.stop(3)
        try FileManager.default.removeItem(atPath: cluster.directories[3])
        try FileManager.default.createDirectory(atPath: cluster.directories[3], withIntermediateDirectories: true)
        for i in 0..<3 {
            let store = try #require(stores[i])
            #expect(await offThePool { try? store.pruneStep(below: 20, batchMax: 100) } == 20)
        }
        try await cluster.start(3)
        let node = try #require(cluster.nodes[3])
        #expect(await waitUntil(seconds: 30) {
            await node.refreshPeers()
            return await node.cannotCatchUp != nil
        })
        let why = await node.cannotCatchUp ?? ""
        #expect(why.contains("next block is 1") && why.contains("from 20") && why.contains("state_sync = true"), "\(why)")
        // The others, whose next blocks are kept, never say it.
        for i in 0..<3 {
            await cluster.nodes[i]!.refreshPeers()
            #expect(await cluster.nodes[i]!.cannotCatchUp == nil)
        }
        await cluster.stopAll()
    }
}

/// While a state sync runs the API's port answers its progress (issue 31,
/// item 5) and refuses everything else with a reason.
@Suite struct SyncingAPITests {
    @Test func theStatusRouteShowsTheSyncAndTheOthersAnswer503() async throws {
        let watch = StateSyncWatch()
        let port = Ports.freeBase(span: 1)
        let server = Task { try await HTTPAPI.syncing(watch: watch, host: "127.0.0.1", port: port).runService() }
        defer { server.cancel() }
        let base = "http://127.0.0.1:\(port)"
        // A safety net, not the claim: under the full suite the server has taken over 10 s to answer first.
        #expect(await waitUntil(seconds: 60) { (try? await httpRequest(base + "/v1/status"))?.status == 200 })
        let first = try #require(APIJSON.decode(StateSyncStatus.self, from: try await httpRequest(base + "/v1/status").body))
        #expect(first.phase == "state-sync" && first.step == "asking the peers for a snapshot" && first.chunks == 0)
        var progress = StateSync.Progress()
        (progress.height, progress.chunksDone, progress.chunks, progress.bytesDone, progress.bytes, progress.elapsedMs) =
            (2_000, 3, 8, 3 << 20, 8 << 20, 1_000)
        watch.report(progress)
        let later = try #require(APIJSON.decode(StateSyncStatus.self, from: try await httpRequest(base + "/v1/status").body))
        #expect(later.height == 2_000 && later.chunksDone == 3 && later.chunks == 8 && later.bytesPerSecond == 3 << 20)
        let refused = try await httpRequest(base + "/v1/blocks/3")
        #expect(refused.status == 503 && ((refused.json["error"] as? String) ?? "").contains("state sync in progress"), "\(refused.json)")
        #expect(try await httpRequest(base + "/").body.count > 0)
    }
}
