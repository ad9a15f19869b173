import BatonCrypto
import Consensus
import Dispatch
import Foundation
import Logging
import Storage

/// Brings a node with an empty store to a snapshot its peers serve, before
/// it runs (issue 31, item 3; docs/storage.md "State sync"). Then the node
/// starts as after a restart and catches up by block sync from there.
///
/// 1. Asks every peer for its newest snapshot (once a second) and checks
///    each offer's proof from the genesis (`SnapshotProof`); a failing
///    offer is refused with its reason and its peer never used.
/// 2. Takes the highest manifest vouched for by members holding more than a
///    third of the weight of the committee that finalized it: at least one
///    honest member holds exactly those chunks.
/// 3. Fetches chunks from those members in parallel, each chunk from one
///    peer in pieces; a chunk whose SHA-256 is not the manifest's drops its
///    peer from the sync and is fetched from another. Verified chunks are
///    written to `folder` as they come, so a sync cut short (kill -9)
///    resumes with what it has.
/// 4. Restores them with the proven anchor (`NodeStore.restoreSnapshot`).
///
/// Inbound messages come through `inputs` (the transport's sink); a ticker
/// wakes the loop for timeouts. Bounds: at most `piecesInFlightPerPeer`
/// requests per peer, one chunk's bytes per peer in memory.
public final class StateSync: @unchecked Sendable {
    public struct Options: Sendable {
        /// How long to look for a vouched offer before giving up (nothing to sync from).
        public var offerWaitMs: UInt64 = 15_000
        public var pieceBytes = 1 << 20
        public var piecesInFlightPerPeer = 4
        /// A piece not answered in this long sends its chunk to another peer.
        public var pieceTimeoutMs: UInt64 = 10_000
        /// Snapshots tried before giving up (each one its members stopped
        /// keeping mid-fetch; a newer one starts over, wiping the chunks fetched).
        public var attempts = 3
        public init() {}
    }

    /// What a sync did, for the console and the logs.
    public struct Progress: Sendable, Hashable {
        public var height: Height = 0
        public var chunksDone = 0
        public var chunks = 0
        public var bytesDone: UInt64 = 0
        public var bytes: UInt64 = 0
        public var peers = 0
        /// Peers dropped from the sync (a bad chunk, no answer, no snapshot any more).
        public var peersDropped = 0
        /// Chunks a sync cut short had verified and kept, not fetched again.
        public var resumedChunks = 0
        public var elapsedMs: UInt64 = 0
        public var bytesPerSecond: UInt64 { elapsedMs == 0 ? 0 : bytesDone * 1_000 / elapsedMs }

        public init(height: Height = 0, chunksDone: Int = 0, chunks: Int = 0, bytesDone: UInt64 = 0, bytes: UInt64 = 0, peers: Int = 0) {
            (self.height, self.chunksDone, self.chunks, self.bytesDone, self.bytes, self.peers) = (height, chunksDone, chunks, bytesDone, bytes, peers)
        }
    }

    public enum Outcome: Sendable {
        case restored(SnapshotManifest, Progress)
        /// No snapshot vouched for by more than a third of the weight was offered in time.
        case nothingOffered(refusals: [String])
        /// Nothing to sync: the peers hold nothing themselves (a new federation's first start).
        case notNeeded(String)
    }

    let store: NodeStore
    let genesis: Committee
    let genesisID: BlockID
    let transport: any PeerTransport
    let inputs: InputQueue
    let folder: String
    let verifier: any SignatureVerifier
    let logger: Logger
    let clock: any NodeClock
    let options: Options
    let onProgress: @Sendable (Progress) -> Void
    let watch: StateSyncWatch?

    public init(store: NodeStore, genesis: Committee, genesisID: BlockID, transport: any PeerTransport, inputs: InputQueue,
                verifier: any SignatureVerifier, logger: Logger, clock: any NodeClock = SystemClock(),
                options: Options = Options(), watch: StateSyncWatch? = nil, onProgress: @escaping @Sendable (Progress) -> Void = { _ in }) {
        self.store = store
        self.genesis = genesis
        self.genesisID = genesisID
        self.transport = transport
        self.inputs = inputs
        folder = store.snapshotsFolder + "/incoming"
        self.verifier = verifier
        self.logger = logger
        self.clock = clock
        self.options = options
        self.onProgress = onProgress
        self.watch = watch
    }

    /// Runs the sync; on `.restored` the store holds the snapshot.
    public func run() async throws(StateSyncError) -> Outcome {
        let ticker = Task { [inputs] in
            while !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(200))
                inputs.mempoolFilled()  // the sync's wake-up: coalesced, never dropped
            }
        }
        defer { ticker.cancel() }
        let resuming = try storage { () throws(StorageError) in try self.store.unfinishedRestore() }
        finishing = resuming != nil
        // A snapshot its members stopped keeping mid-fetch (they keep the
        // newest few) gives way to their newer one, a few times at most.
        var attempt = 0
        var chosen: Chosen
        var progress: Progress
        // A fetch cut short (its chunks in `folder`) goes on with the same
        // snapshot if its members still offer it soon; else the newest.
        var preferred = resuming == nil ? (try? SnapshotFolder.manifest(of: folder))?.head.height : nil
        while true {
            attempt += 1
            var found: Chosen?
            if let height = preferred {
                preferred = nil
                found = try await chooseOffer(height: height, waitMs: min(options.offerWaitMs, 3_000))
            }
            if found == nil, notNeeded == nil {
                found = try await chooseOffer(height: resuming?.head.height ?? 0, waitMs: options.offerWaitMs)
            }
            if let reason = notNeeded { return .notNeeded(reason) }
            guard let offer = found else { return .nothingOffered(refusals: refusals) }
            if let resuming, resuming != offer.manifest {
                throw .storage("this store began restoring another snapshot (height \(resuming.head.height)): move the data directory aside and start again")
            }
            chosen = offer
            do {
                progress = try await fetch(offer)
                break
            } catch .noPeers(let why) where resuming == nil && attempt < options.attempts {
                logger.warning("state sync: no peer serves that snapshot any more; asking for their newest again",
                               metadata: ["height": "\(offer.manifest.head.height)", "why": "\(why)"])
            }
        }
        let anchor = chosen.checked.anchor
        watch?.step("restoring into the store")
        _ = try await blocking { () throws(StorageError) in try self.store.restoreSnapshot(from: self.folder, anchor: anchor) }
        SnapshotFolder.remove(folder)
        logger.notice("state sync: restored the snapshot; catching up by block sync from its height",
                      metadata: ["height": "\(chosen.manifest.head.height)", "bytes": "\(progress.bytesDone)",
                                 "seconds": "\(Double(progress.elapsedMs) / 1_000)", "bytesPerSecond": "\(progress.bytesPerSecond)"])
        return .restored(chosen.manifest, progress)
    }

    // MARK: - Offers

    struct Chosen {
        let manifest: SnapshotManifest
        let checked: SnapshotProof.Checked
        let peers: [PublicKey]
    }

    /// Distinct offers checked per peer: a snapshot and its successors, with room.
    static let checksPerPeerMax = 8

    private var refusals: [String] = []
    /// Why no sync is needed, once the peers said so.
    private var notNeeded: String?
    /// A restore a crash interrupted must be finished, whatever the peers hold.
    private var finishing = false
    /// Answers are matched by height, chunk and offset, not by id.
    private let requestID: UInt64 = 1

    /// Step 1 and 2: the highest vouched offer (of `height`, if not 0).
    private func chooseOffer(height: Height, waitMs: UInt64) async throws(StateSyncError) -> Chosen? {
        let deadline = clock.nowMs() + waitMs
        var asked: UInt64 = 0
        var offers: [PublicKey: [UInt8]] = [:]  // peer → manifest bytes
        var checked: [[UInt8]: (SnapshotManifest, SnapshotProof.Checked)] = [:]
        // Refused offers by the digest of their bytes: a peer's megabytes are not kept.
        var refused: Set<Bytes32> = []
        var holdingNothing: Set<PublicKey> = []
        var checks: [PublicKey: Int] = [:]
        while clock.nowMs() < deadline {
            if clock.nowMs() >= asked + 1_000 {
                asked = clock.nowMs()
                transport.broadcast(.stateSync(.offerRequest(requestID: requestID, height: height)))
            }
            guard let input = await inputs.next() else { throw .stopped }
            // A peer syncing too (a federation's first start) hears that this node holds nothing.
            if case .message(let peer, .stateSync(.offerRequest(let id, _))) = input {
                transport.send(.stateSync(.offer(requestID: id, oldestBlock: 0, manifest: [], proof: [])), to: peer)
                continue
            }
            guard case .message(let peer, .stateSync(.offer(_, let oldestBlock, let manifestBytes, let proofBytes))) = input else {
                continue
            }
            // Even when told to sync: a federation whose members all start empty has nothing to sync from.
            if !finishing, oldestBlock == 0 {
                holdingNothing.insert(peer)
                let weight = holdingNothing.compactMap { genesis.index(of: $0) }.reduce(UInt64(0)) { $0 + genesis.weight(of: $1) }
                if weight * 3 > genesis.totalWeight * 2 {
                    logger.info("state sync: the peers hold nothing yet (a new federation); starting from the genesis")
                    notNeeded = "the peers hold nothing yet (a new federation)"
                    return nil
                }
            }
            guard !manifestBytes.isEmpty else { continue }
            let offerDigest = SHA256Digest.hash(manifestBytes + proofBytes)
            if checked[manifestBytes] == nil, !refused.contains(offerDigest) {
                // Bound: a peer's offers cost signature checks; a few distinct ones each.
                guard checks[peer, default: 0] < Self.checksPerPeerMax else { continue }
                checks[peer, default: 0] += 1
                do throws(SnapshotRefusal) {
                    let result = try check(manifestBytes, proofBytes)
                    guard height == 0 || result.0.head.height == height else { continue }
                    checked[manifestBytes] = result
                } catch {
                    refused.insert(offerDigest)
                    let line = "peer \(peer): \(error)"
                    refusals.append(line)
                    logger.warning("state sync: refused a snapshot offer", metadata: ["peer": "\(peer)", "reason": "\(error)"])
                    continue
                }
            }
            guard let offered = checked[manifestBytes] else { continue }
            offers[peer] = manifestBytes
            logger.debug("state sync: an offer", metadata: ["peer": "\(peer)", "height": "\(offered.0.head.height)",
                                                            "manifest": "\(SHA256Digest.hash(manifestBytes).short)"])
            if let chosen = vouched(offers, checked) { return chosen }
        }
        return nil
    }

    private func check(_ manifestBytes: [UInt8], _ proofBytes: [UInt8]) throws(SnapshotRefusal) -> (SnapshotManifest, SnapshotProof.Checked) {
        let manifest: SnapshotManifest, proof: SnapshotProof
        do {
            manifest = try SnapshotManifest.decode(manifestBytes)
            proof = try SnapshotProof.decode(proofBytes)
        } catch {
            throw .malformed("\(error)")
        }
        return (manifest, try proof.check(manifest, genesis: genesis, genesisID: genesisID, verifier: verifier))
    }

    /// The highest manifest whose offering members hold more than a third
    /// of the weight of the committee that finalized it.
    private func vouched(_ offers: [PublicKey: [UInt8]], _ checked: [[UInt8]: (SnapshotManifest, SnapshotProof.Checked)]) -> Chosen? {
        var best: Chosen?
        for (bytes, (manifest, proof)) in checked {
            let peers = offers.filter { $0.value == bytes }.map(\.key)
            let weight = peers.compactMap { proof.committee.index(of: $0) }.reduce(UInt64(0)) { $0 + proof.committee.weight(of: $1) }
            guard weight * 3 > proof.committee.totalWeight else { continue }
            if best == nil || manifest.head.height > best!.manifest.head.height {
                best = Chosen(manifest: manifest, checked: proof, peers: peers.sorted { $0.compressed.lexicographicallyPrecedes($1.compressed) })
            }
        }
        return best
    }

    // MARK: - Chunks

    private struct Assignment {
        let chunk: Int
        var buffer: [UInt8]
        var next: UInt64 = 0        // the next offset to ask for
        var received = 0            // bytes in
        var outstanding: [UInt64: UInt64] = [:]  // offset → asked at (ms)
    }

    /// Step 3: every chunk, verified, in `folder`.
    private func fetch(_ chosen: Chosen) async throws(StateSyncError) -> Progress {
        let manifest = chosen.manifest
        let started = clock.nowMs()
        var todo = try await blocking { () throws(StorageError) in try self.prepareFolder(for: manifest) }
        var progress = Progress(height: manifest.head.height, chunksDone: manifest.chunkHashes.count - todo.count,
                                chunks: manifest.chunkHashes.count,
                                bytesDone: manifest.chunkSizes.enumerated().filter { !todo.contains($0.offset) }.reduce(0) { $0 + $1.element },
                                bytes: manifest.totalBytes, peers: chosen.peers.count)
        progress.resumedChunks = progress.chunksDone
        watch?.step("fetching chunks")
        report(progress)
        logger.notice("state sync: fetching a snapshot", metadata: [
            "height": "\(manifest.head.height)", "chunks": "\(progress.chunks)", "alreadyHere": "\(progress.chunksDone)",
            "bytes": "\(manifest.totalBytes)", "peers": "\(chosen.peers.count)"])
        var peers = chosen.peers
        var dropped: Set<PublicKey> = []
        var working: [PublicKey: Assignment] = [:]
        var lastReport = started, lastAsked = started, lastPeerMs = started
        let manifestBytes = manifest.encoded
        while !todo.isEmpty || !working.isEmpty {
            let now = clock.nowMs()
            // More members offering this very manifest may serve it too (a
            // dropped peer's share goes to them).
            if now >= lastAsked + 1_000 {
                lastAsked = now
                transport.broadcast(.stateSync(.offerRequest(requestID: requestID, height: manifest.head.height)))
            }
            if peers.isEmpty {
                guard now < lastPeerMs + options.offerWaitMs else {
                    throw .noPeers("every peer serving the snapshot at height \(manifest.head.height) was dropped (bad chunks or no answers): \(refusals.suffix(3))")
                }
            } else {
                lastPeerMs = now
            }
            // Give each idle peer a chunk, and each busy one its next pieces.
            for peer in peers {
                if working[peer] == nil, let chunk = todo.popLast() {
                    working[peer] = Assignment(chunk: chunk, buffer: [UInt8](repeating: 0, count: Int(manifest.chunkSizes[chunk])))
                }
                guard var job = working[peer] else { continue }
                let size = UInt64(job.buffer.count)
                while job.outstanding.count < options.piecesInFlightPerPeer, job.next < size {
                    let length = UInt32(min(UInt64(options.pieceBytes), size - job.next))
                    transport.send(.stateSync(.pieceRequest(requestID: requestID, height: manifest.head.height,
                                                            chunk: UInt32(job.chunk), offset: job.next, length: length)), to: peer)
                    job.outstanding[job.next] = clock.nowMs()
                    job.next += UInt64(length)
                }
                working[peer] = job
            }
            guard let input = await inputs.next() else { throw .stopped }
            let later = clock.nowMs()
            // A peer that stopped answering loses its chunk to the others.
            for (peer, job) in working where job.outstanding.values.contains(where: { later > $0 + options.pieceTimeoutMs }) {
                drop(peer, chunk: job.chunk, reason: "no answer in \(options.pieceTimeoutMs) ms", peers: &peers, working: &working, todo: &todo)
                dropped.insert(peer)
            }
            if later >= lastReport + 2_000 {
                lastReport = later
                progress.elapsedMs = later - started
                progress.peers = peers.count
                progress.peersDropped = dropped.count
                report(progress)
            }
            if case .message(let peer, .stateSync(.offer(_, _, let offered, _))) = input, offered == manifestBytes,
               !dropped.contains(peer), !peers.contains(peer) {
                peers.append(peer)
                continue
            }
            guard case .message(let peer, .stateSync(.piece(_, let height, let chunk, let offset, let bytes))) = input,
                  height == manifest.head.height, var job = working[peer], job.chunk == Int(chunk),
                  job.outstanding.removeValue(forKey: offset) != nil else { continue }
            guard !bytes.isEmpty, offset + UInt64(bytes.count) <= UInt64(job.buffer.count),
                  bytes.count == min(options.pieceBytes, job.buffer.count - Int(offset)) else {
                drop(peer, chunk: job.chunk, reason: bytes.isEmpty ? "it no longer has the snapshot" : "a piece of the wrong size",
                     peers: &peers, working: &working, todo: &todo)
                dropped.insert(peer)
                continue
            }
            job.buffer.replaceSubrange(Int(offset)..<Int(offset) + bytes.count, with: bytes)
            job.received += bytes.count
            guard job.received == job.buffer.count else {
                working[peer] = job
                continue
            }
            working[peer] = nil
            let finished = job
            let good = try await blocking { () throws(StorageError) in try self.keep(finished.buffer, chunk: finished.chunk, of: manifest) }
            if good {
                progress.chunksDone += 1
                progress.bytesDone += UInt64(finished.buffer.count)
            } else {
                todo.append(finished.chunk)
                drop(peer, chunk: nil, reason: "chunk \(finished.chunk) is not the manifest's (SHA-256 differs)",
                     peers: &peers, working: &working, todo: &todo)
                dropped.insert(peer)
            }
        }
        progress.elapsedMs = clock.nowMs() - started
        progress.peers = peers.count
        progress.peersDropped = dropped.count
        report(progress)
        return progress
    }

    private func drop(_ peer: PublicKey, chunk: Int?, reason: String, peers: inout [PublicKey],
                      working: inout [PublicKey: Assignment], todo: inout [Int]) {
        peers.removeAll { $0 == peer }
        if let job = working.removeValue(forKey: peer) { todo.append(job.chunk) } else if let chunk { todo.append(chunk) }
        refusals.append("peer \(peer): \(reason)")
        logger.warning("state sync: dropped a peer from the sync", metadata: ["peer": "\(peer)", "reason": "\(reason)"])
    }

    private func report(_ progress: Progress) {
        watch?.report(progress)
        onProgress(progress)
        logger.info("state sync: progress", metadata: [
            "chunks": "\(progress.chunksDone)/\(progress.chunks)", "bytes": "\(progress.bytesDone)/\(progress.bytes)",
            "bytesPerSecond": "\(progress.bytesPerSecond)"])
    }

    /// The chunks still to fetch: `folder` holds this manifest's verified
    /// chunks from an earlier try (kept), or is started afresh.
    private func prepareFolder(for manifest: SnapshotManifest) throws(StorageError) -> [Int] {
        if (try? SnapshotFolder.manifest(of: folder)) != manifest {
            SnapshotFolder.remove(folder)
            try SnapshotFolder.create(folder)
            try SnapshotFolder.write(folder + "/manifest", manifest.encoded)
        }
        return manifest.chunkHashes.indices.reversed().filter { (try? SnapshotFolder.chunk($0, of: manifest, in: folder)) == nil }
    }

    /// Writes a chunk that is the manifest's; false (nothing written) if it is not.
    private func keep(_ bytes: [UInt8], chunk: Int, of manifest: SnapshotManifest) throws(StorageError) -> Bool {
        guard SHA256Digest.hash(bytes) == manifest.chunkHashes[chunk] else { return false }
        try SnapshotFolder.write(SnapshotFolder.chunkPath(folder, chunk), bytes)
        return true
    }

    private func storage<T>(_ body: () throws(StorageError) -> T) throws(StateSyncError) -> T {
        do { return try body() } catch { throw .storage("\(error)") }
    }

    /// Disk work and hashing off the cooperative pool.
    private func blocking<T: Sendable>(_ body: @escaping @Sendable () throws(StorageError) -> T) async throws(StateSyncError) -> T {
        let result: Result<T, StorageError> = await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                do throws(StorageError) { continuation.resume(returning: .success(try body())) } catch {
                    continuation.resume(returning: .failure(error))
                }
            }
        }
        switch result {
        case .success(let value): return value
        case .failure(let error): throw .storage("\(error)")
        }
    }
}

/// Why a state sync stopped; each says what to do.
public enum StateSyncError: Error, CustomStringConvertible, Sendable {
    case storage(String)
    case noPeers(String)
    case stopped

    public var description: String {
        switch self {
        case .storage(let why): "state sync cannot write the store: \(why)"
        case .noPeers(let why): "state sync has no peer left to fetch from: \(why); start the node again to retry"
        case .stopped: "state sync was stopped"
        }
    }
}
