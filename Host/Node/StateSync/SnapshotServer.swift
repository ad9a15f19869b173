import BatonCrypto
import Consensus
import Dispatch
import Foundation
import Logging
import Storage
import Synchronization

/// Serves this node's snapshots to syncing peers (issue 31, item 3): offers
/// the newest one it can prove, and pieces of its chunks.
///
/// Why off the loop: a proof reads up to `SnapshotProof.headersMax` blocks
/// and a piece up to 4 MiB from disk; the loop only hands the request over.
///
/// Bounds: one thread; at most `jobsMax` requests waiting (more are dropped
/// and counted — the asker retries elsewhere); proofs cached for the
/// snapshots kept (`cachedMax`); with `bytesPerSecond`, the pieces of all
/// syncing peers together leave no faster (the thread waits before each), so
/// a sync cannot take the link the federation's own messages need.
public final class SnapshotServer: Sendable {
    public static let jobsMax = 16
    /// The least cap: four 1 MiB pieces in flight per asker come within its 10 s.
    public static let bytesPerSecondMin: UInt64 = 1 << 20
    static let cachedMax = 4

    private struct State {
        var waiting = 0
        var dropped = 0
        /// Encoded offers by snapshot height (manifest, proof).
        var offers: [Height: (manifest: [UInt8], proof: [UInt8])] = [:]
        /// The newest snapshot whose proof is in its folder: later checks skip the folder.
        var provenHeight: Height = 0
        /// With a cap: when the next piece may leave (uptime ns).
        var nextPieceNs: UInt64 = 0
    }

    let store: NodeStore
    private let chainID: Bytes32
    private let send: @Sendable (Message, PublicKey) -> Void
    private let logger: Logger
    private let state = Mutex(State())
    private let queue = DispatchQueue(label: "baton.snapshots.server")

    let bytesPerSecond: UInt64?

    public init(store: NodeStore, chainID: Bytes32, logger: Logger, bytesPerSecond: UInt64? = nil,
                send: @escaping @Sendable (Message, PublicKey) -> Void) {
        self.store = store
        self.bytesPerSecond = bytesPerSecond
        self.chainID = chainID
        self.logger = logger
        self.send = send
    }

    /// Requests dropped because `jobsMax` were waiting.
    public var dropped: Int { state.withLock { $0.dropped } }

    /// A peer's state sync message (answers only; what a syncing node
    /// receives goes to its `StateSync`, never here).
    public func received(_ message: StateSyncMessage, from peer: PublicKey) {
        switch message {
        case .offerRequest, .pieceRequest: break
        case .offer, .piece: return
        }
        let admitted = state.withLock { state -> Bool in
            guard state.waiting < Self.jobsMax else {
                state.dropped += 1
                return false
            }
            state.waiting += 1
            return true
        }
        guard admitted else { return }
        queue.async {
            defer { self.state.withLock { $0.waiting -= 1 } }
            if let answer = self.answer(message) { self.send(.stateSync(answer), peer) }
        }
    }

    func answer(_ message: StateSyncMessage) -> StateSyncMessage? {
        switch message {
        case .offerRequest(let id, let height):
            let offer = offer(height: height)
            // 0: this node holds nothing yet (a new federation), as a syncing one says.
            let empty = ((try? store.finalizedHead().height) ?? 0) == 0
            return .offer(requestID: id, oldestBlock: empty ? 0 : store.oldestRetainedHeight,
                          manifest: offer?.manifest ?? [], proof: offer?.proof ?? [])
        case .pieceRequest(let id, let height, let chunk, let offset, let length):
            let folder = SnapshotFolder.path(in: store.snapshotsFolder, height: height)
            let bytes = SnapshotFolder.read(SnapshotFolder.chunkPath(folder, Int(chunk)), offset: offset, length: Int(length)) ?? []
            pace(bytes.count)
            return .piece(requestID: id, height: height, chunk: chunk, offset: offset, bytes: bytes)
        case .offer, .piece:
            return nil
        }
    }

    /// With a cap, waits (on the server's own thread) until `count` more
    /// bytes fit in it: a token bucket of one second's worth.
    private func pace(_ count: Int) {
        guard let rate = bytesPerSecond, count > 0 else { return }
        let now = DispatchTime.now().uptimeNanoseconds
        let cost = UInt64(count) * 1_000_000_000 / rate
        let start = state.withLock { state -> UInt64 in
            // At most a second of credit: an idle server does not bank a burst.
            let start = max(state.nextPieceNs, now > 1_000_000_000 ? now - 1_000_000_000 : 0)
            state.nextPieceNs = start + cost
            return start
        }
        if start + cost > now { Thread.sleep(forTimeInterval: Double(start + cost - now) / 1e9) }
    }

    /// A height was committed: once in a while, writes the newest snapshot's
    /// proof into its folder when the blocks above it hold one, so a copy
    /// (`baton snapshot export`) carries it and an import checks it.
    public func committed(_ height: Height) {
        guard height % 16 == 0 else { return }
        let admitted = state.withLock { state -> Bool in
            guard state.waiting < Self.jobsMax else { return false }
            state.waiting += 1
            return true
        }
        guard admitted else { return }
        queue.async {
            defer { self.state.withLock { $0.waiting -= 1 } }
            // Nothing to read until a snapshot newer than the last proven one exists.
            let proven = self.state.withLock { $0.provenHeight }
            guard self.store.newestSnapshot > proven else { return }
            guard let entry = SnapshotFolder.list(self.store.snapshotsFolder).last, entry.manifest.head.height > proven else { return }
            let height = entry.manifest.head.height
            if FileManager.default.fileExists(atPath: entry.folder + "/proof") {
                self.state.withLock { $0.provenHeight = height }
                return
            }
            guard let proof = try? SnapshotProof.build(for: entry.manifest, store: self.store, chainID: self.chainID) else { return }
            do throws(StorageError) {
                try SnapshotFolder.write(entry.folder + "/proof", proof.encoded)
                self.state.withLock { $0.provenHeight = height }
            } catch {
                self.logger.warning("cannot write a snapshot's proof", metadata: ["folder": "\(entry.folder)", "error": "\(error)"])
            }
        }
    }

    /// The newest kept snapshot with a proof (built once, then cached), or
    /// the one of `height` if asked for and kept.
    private func offer(height wanted: Height) -> (manifest: [UInt8], proof: [UInt8])? {
        for entry in SnapshotFolder.list(store.snapshotsFolder).reversed() where wanted == 0 || entry.manifest.head.height == wanted {
            let height = entry.manifest.head.height
            if let cached = state.withLock({ $0.offers[height] }) { return cached }
            do throws(StorageError) {
                guard let proof = try SnapshotProof.build(for: entry.manifest, store: store, chainID: chainID) else { continue }
                let offer = (manifest: entry.manifest.encoded, proof: proof.encoded)
                state.withLock { state in
                    state.offers[height] = offer
                    for old in state.offers.keys.sorted().dropLast(Self.cachedMax) { state.offers[old] = nil }
                }
                return offer
            } catch {
                logger.warning("cannot build the proof of a snapshot", metadata: ["height": "\(height)", "error": "\(error)"])
            }
        }
        return nil
    }
}
