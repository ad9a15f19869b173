import BatonCrypto
import BatonTestSupport
import Consensus
import Foundation
import Logging
@_spi(Testing) @testable import Node
@testable import Storage
import Simulation
import Synchronization
import Testing

/// State sync in process (issue 31, item 3): real nodes, RocksDB, the
/// kvstore plugin, an in-memory network. A wiped member fetches its peers'
/// snapshot, checks it from the genesis, restores it and rejoins by block
/// sync from its height; a peer serving a bad chunk is dropped and the chunk
/// fetched elsewhere; an offer whose proof does not hold is refused.
@Suite(.serialized, .blockingWork) struct StateSyncTests {
    static let interval: Height = 40

    /// A cluster whose members snapshot every `interval` heights; `tamper`
    /// wraps member i's transport.
    func cluster(kept: Int = 2, plugin: String = "kvstore",
                 tamper: @escaping @Sendable (Int, any PeerTransport) -> any PeerTransport = { $1 }) throws -> LocalCluster {
        try LocalCluster(n: 4, plugin: plugin, wrapStore: { _, store in
            // Small chunks: several, so every serving peer gets one at once.
            store.startSnapshots(interval: Self.interval, kept: kept, chunkBytes: 1_024)
            return store
        }, wrapTransport: tamper)
    }

    /// Fills the app, runs past two snapshots and the blocks that prove
    /// them, then stops member 3 and wipes its directory.
    func runAndWipeMember3(_ cluster: LocalCluster, transactions: [String] = (0..<40).map { "key\($0)=value\($0)" }) async throws {
        try await cluster.startAll()
        for (i, tx) in transactions.enumerated() { _ = await cluster.nodes[i % 3]!.submit(Array(tx.utf8)) }
        #expect(await cluster.waitForHeight(2 * Self.interval + 10, nodes: [0, 1, 2]))
        await cluster.stop(3)
        try FileManager.default.removeItem(atPath: cluster.directories[3])
        try FileManager.default.createDirectory(atPath: cluster.directories[3], withIntermediateDirectories: true)
    }

    func expectOrReport(_ ok: Bool, _ cluster: LocalCluster, sourceLocation: SourceLocation = #_sourceLocation) async {
        if !ok { Issue.record("\(await cluster.report())", sourceLocation: sourceLocation) }
    }

    /// Runs a state sync for member 3 into a new store in its directory.
    func sync(_ cluster: LocalCluster, options: StateSync.Options = StateSync.Options()) async throws -> StateSync.Outcome {
        let key = cluster.members.keys[3]
        let store = try await offThePoolThrowing {
            try NodeStore(directory: cluster.directories[3], genesis: cluster.members.genesis, create: true)
        }
        defer { store.close() }
        let inputs = InputQueue()
        cluster.network.attach(key.publicKey, to: inputs)
        defer { cluster.network.detach(key.publicKey) }
        var logger = Logger(label: "baton.statesync.test")
        logger.logLevel = ProcessInfo.processInfo.environment["BATON_LOCAL_DEBUG"] != nil ? .debug : .warning
        let sync = StateSync(store: store, genesis: cluster.members.committee, genesisID: cluster.members.genesis.id,
                             transport: cluster.network.transport(for: key.publicKey), inputs: inputs,
                             verifier: Secp256k1Verifier(), logger: logger, options: options)
        return try await sync.run()
    }

    @Test func aWipedMemberRestoresItsPeersSnapshotAndRejoins() async throws {
        let cluster = try cluster()
        defer { cluster.removeDirectories() }
        try await runAndWipeMember3(cluster)
        guard case .restored(let manifest, let progress) = try await sync(cluster) else {
            Issue.record("nothing was offered")
            return
        }
        // Snapshots are taken at exact multiples, and the newest provable one is taken.
        #expect(manifest.head.height % Self.interval == 0 && manifest.head.height >= 2 * Self.interval)
        #expect(progress.chunksDone == manifest.chunkHashes.count && progress.bytesDone == manifest.totalBytes)
        try await cluster.start(3)
        let node = try #require(cluster.nodes[3])
        // kvstore's hash chains its history: it cannot recompute it, and the node says so.
        await expectOrReport(await waitUntil(seconds: 30) { await node.restoredState != nil }, cluster)
        #expect(await node.restoredState?.height == manifest.head.height)
        #expect(await node.restoredState?.check == .chunkHashesOnly)
        // It never replayed from the genesis: its blocks start at the snapshot.
        #expect(try await node.finalizedBlock(at: 1) == nil)
        #expect(try await node.finalizedBlock(at: manifest.head.height)?.id == manifest.head.blockID)
        let head = await cluster.nodes[0]!.status.finalizedHeight
        await expectOrReport(await cluster.waitForHeight(head + 5), cluster)
        #expect(try await cluster.agree(upTo: head + 5))
        // The app's state came with the snapshot and agrees with the others'.
        #expect(try await node.query(Array("key7".utf8)) == Array("value7".utf8))
        let h = head + 5
        #expect(try await node.finalizedBlock(at: h)?.id == (try await cluster.nodes[0]!.finalizedBlock(at: h))?.id)
        // It votes again: a later QC carries its signature.
        await expectOrReport(await waitUntil(seconds: 30) {
            let top = await cluster.nodes[0]!.status.finalizedHeight
            guard let block = try? await cluster.nodes[0]!.finalizedBlock(at: top) else { return false }
            return block.qc.signers.contains(3)
        }, cluster)
        await cluster.stopAll()
    }

    /// The robot recomputes its state hash from the restored keys (ABI 1.7):
    /// a restored state that is not the certified one — here the robot's
    /// key deleted after the restore, as a forged chunk vouched for by a
    /// Byzantine third would leave it — stops the node before it votes; the
    /// honest restore is proven and the node rejoins.
    @Test func aRestoredStateIsRecomputedBeforeTheNodeVotesAndAForgedOneStopsIt() async throws {
        let cluster = try cluster(plugin: "robot")
        defer { cluster.removeDirectories() }
        try await runAndWipeMember3(cluster, transactions: ["forward", "left", "forward", "right", "uturn", "back", "wait"])
        guard case .restored(let manifest, _) = try await sync(cluster) else {
            Issue.record("nothing was offered")
            return
        }
        let directory = cluster.directories[3], genesis = cluster.members.genesis
        try await offThePoolThrowing {
            let store = try NodeStore(directory: directory, genesis: genesis, create: false)
            defer { store.close() }
            #expect(try store.restoredStateToCheck()?.height == manifest.head.height)
            let batch = WriteBatch()
            batch.delete(StoreLayout.app("robot") + Array("robot/state".utf8))
            try store.db.write(batch, sync: true)
        }
        try await cluster.start(3)
        let forged = try #require(cluster.nodes[3])
        await expectOrReport(await waitUntil(seconds: 30) { await forged.stopReason != nil }, cluster)
        let reason = await forged.stopReason ?? ""
        #expect(reason.contains("hashes to") && reason.contains("state_hash_from_store"), "\(reason)")
        #expect(await forged.restoredState == nil)
        // Nor does it serve the unproven state to clients.
        await #expect(throws: SideCallError.busy(ConsensusNode.unprovenState)) { _ = try await forged.query([]) }
        await cluster.stop(3)
        // The mark stays: started again, the forged state is refused again.
        try await cluster.start(3)
        let again = try #require(cluster.nodes[3])
        await expectOrReport(await waitUntil(seconds: 30) { await again.stopReason != nil }, cluster)
        await cluster.stop(3)
        // An honest restore is proven, and the node votes again.
        try FileManager.default.removeItem(atPath: directory)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        guard case .restored(let second, _) = try await sync(cluster) else {
            Issue.record("nothing was offered the second time")
            return
        }
        try await cluster.start(3)
        let node = try #require(cluster.nodes[3])
        await expectOrReport(await waitUntil(seconds: 30) { await node.restoredState != nil }, cluster)
        #expect(await node.restoredState?.height == second.head.height)
        #expect(await node.restoredState?.check == .recomputed)
        #expect(try await node.query([]).isEmpty == false, "proven: it serves")
        await expectOrReport(await cluster.waitForHeight(second.head.height + 20), cluster)
        #expect(try await cluster.agree(upTo: second.head.height + 20))
        await cluster.stopAll()
    }

    /// `state_sync` absent: a wiped member started on an empty store whose
    /// peers pruned its first blocks stops to sync (what `baton node` then
    /// does: restore, start again) and rejoins.
    @Test func anEmptyNodeWhosePeersPrunedItsFirstBlocksStopsToSync() async throws {
        let stores = Mutex<[Int: NodeStore]>([:])
        let cluster = try LocalCluster(n: 4, wrapStore: { i, store in
            store.startSnapshots(interval: Self.interval, kept: 2, chunkBytes: 1_024)
            stores.withLock { $0[i] = store }
            return store
        })
        cluster.syncsWhenPeersPruned = true
        defer { cluster.removeDirectories() }
        try await runAndWipeMember3(cluster)
        // The others drop their blocks below their snapshot of height 2 × interval.
        for i in 0..<3 {
            let store = try #require(stores.withLock { $0[i] })
            #expect(await offThePool { try? store.pruneStep(below: 2 * Self.interval, batchMax: 1_000) } == 2 * Self.interval)
        }
        try await cluster.start(3)
        let node = try #require(cluster.nodes[3])
        await expectOrReport(await waitUntil(seconds: 30) {
            await node.refreshPeers()
            return await node.needsStateSync
        }, cluster)
        #expect(await node.stopReason?.contains("restores their newest snapshot") == true)
        #expect(await node.cannotCatchUp == nil)
        await cluster.stop(3)
        guard case .restored(let manifest, _) = try await sync(cluster) else {
            Issue.record("nothing was offered")
            return
        }
        #expect(manifest.head.height >= 2 * Self.interval)
        try await cluster.start(3)
        await expectOrReport(await cluster.waitForHeight(manifest.head.height + 20), cluster)
        #expect(try await cluster.agree(upTo: manifest.head.height + 20))
        await cluster.stopAll()
    }

    @Test func aPeerServingABadChunkIsDroppedAndTheChunkFetchedElsewhere() async throws {
        // Members 0 and 1 flip a byte in every piece they serve; only 2 serves honestly.
        let cluster = try cluster { i, transport in i < 2 ? PieceTamperingTransport(wrapping: transport) : transport }
        defer { cluster.removeDirectories() }
        try await runAndWipeMember3(cluster)
        guard case .restored(let manifest, let progress) = try await sync(cluster) else {
            Issue.record("nothing was offered")
            return
        }
        // Whichever two vouched first, a tamperer got a chunk and was dropped
        // (both, if they were the two); the honest member served the rest.
        #expect(progress.peersDropped >= 1 && progress.chunks > 3, "\(progress)")
        try await cluster.start(3)
        await expectOrReport(await cluster.waitForHeight(manifest.head.height + 20), cluster)
        #expect(try await cluster.agree(upTo: manifest.head.height + 20))
        await cluster.stopAll()
    }

    @Test func aSyncCutShortResumesWithTheChunksItVerified() async throws {
        // Every member stops serving after its third piece: the first try
        // runs out of peers with part of the chunks on disk.
        let budget = PieceBudget(3)
        // The members keep their snapshots long enough for the second try to find the first one's.
        let cluster = try cluster(kept: 16) { _, transport in PieceTamperingTransport(wrapping: transport, flip: false, budget: budget) }
        defer { cluster.removeDirectories() }
        try await runAndWipeMember3(cluster)
        var options = StateSync.Options()
        options.offerWaitMs = 2_000
        options.pieceTimeoutMs = 500
        options.attempts = 1  // as a kill -9 would: no second snapshot tried
        await #expect(throws: StateSyncError.self) { _ = try await sync(cluster, options: options) }
        // Served again: the second try fetches only what the first lacked.
        budget.refill(.max)
        guard case .restored(let manifest, let progress) = try await sync(cluster, options: options) else {
            Issue.record("nothing was offered")
            return
        }
        #expect(progress.chunks > 3 && progress.bytesDone == manifest.totalBytes)
        #expect(progress.resumedChunks >= 3, "\(progress)")
        try await cluster.start(3)
        await expectOrReport(await cluster.waitForHeight(manifest.head.height + 20), cluster)
        #expect(try await cluster.agree(upTo: manifest.head.height + 20))
        await cluster.stopAll()
    }

    @Test func anOfferWhoseStateHashIsNotTheCertifiedOneIsRefused() async throws {
        let cluster = try cluster()
        defer { cluster.removeDirectories() }
        try await cluster.startAll()
        #expect(await cluster.waitForHeight(Self.interval + 10))
        let store = try #require(await cluster.nodes[0]!.snapshotServer).store
        let entry = try #require(SnapshotFolder.list(store.snapshotsFolder).last)
        let proof = try #require(try SnapshotProof.build(for: entry.manifest, store: store, chainID: cluster.members.committee.chainID))
        let committee = cluster.members.committee, genesisID = cluster.members.genesis.id
        // The honest manifest checks out…
        _ = try proof.check(entry.manifest, genesis: committee, genesisID: genesisID, verifier: Secp256k1Verifier())
        // …one naming another state hash does not.
        let head = entry.manifest.head
        let seven = try #require(Bytes32([UInt8](repeating: 7, count: 32)))
        let lying = SnapshotManifest(genesis: entry.manifest.genesis,
                                     head: FinalizedHead(height: head.height, blockID: head.blockID, stateHash: seven),
                                     chunkHashes: entry.manifest.chunkHashes, chunkSizes: entry.manifest.chunkSizes,
                                     records: entry.manifest.records)
        #expect(throws: SnapshotRefusal.wrongStateHash(manifest: seven, certified: head.stateHash)) {
            try proof.check(lying, genesis: committee, genesisID: genesisID, verifier: Secp256k1Verifier())
        }
        // A proof under another committee (other keys) does not hold.
        let strangers = SimulatedCommittee(n: 4, realCrypto: true)
        #expect(throws: SnapshotRefusal.self) {
            try proof.check(entry.manifest, genesis: strangers.committee, genesisID: genesisID, verifier: Secp256k1Verifier())
        }
        await cluster.stopAll()
    }
}

/// How many snapshot pieces the members still serve (shared by them).
final class PieceBudget: Sendable {
    private let left: Mutex<Int>
    init(_ count: Int) { left = Mutex(count) }
    func refill(_ count: Int) { left.withLock { $0 = count } }
    func take() -> Bool { left.withLock { left in left > 0 ? { left -= 1; return true }() : false } }
}

/// Flips the first byte of every snapshot piece it sends (a Byzantine
/// server), or, with `flip` false, only serves while `budget` lasts.
final class PieceTamperingTransport: PeerTransport {
    let inner: any PeerTransport
    let flip: Bool
    let budget: PieceBudget?
    init(wrapping inner: any PeerTransport, flip: Bool = true, budget: PieceBudget? = nil) {
        self.inner = inner
        self.flip = flip
        self.budget = budget
    }

    func start() async throws { try await inner.start() }
    func send(_ message: Message, to peer: PublicKey) {
        guard case .stateSync(.piece(let id, let height, let chunk, let offset, var bytes)) = message, !bytes.isEmpty else {
            return inner.send(message, to: peer)
        }
        if let budget, !budget.take() { return }
        if flip { bytes[0] ^= 0xFF }
        inner.send(.stateSync(.piece(requestID: id, height: height, chunk: chunk, offset: offset, bytes: bytes)), to: peer)
    }
    func broadcast(_ message: Message) { inner.broadcast(message) }
    var connectedPeers: [PublicKey] { inner.connectedPeers }
    func statistics() async -> TransportStatistics { await inner.statistics() }
    func shutdown() async { await inner.shutdown() }
}
