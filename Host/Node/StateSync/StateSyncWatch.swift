import BatonAPI
import Synchronization

/// What a running state sync last reported, for the console and for the API
/// that answers while it runs (`HTTPAPI.syncing`). One value, replaced on
/// each report (every 2 s while chunks come, and at each step).
public final class StateSyncWatch: Sendable {
    private let current = Mutex(StateSyncStatus(step: "asking the peers for a snapshot"))

    public init() {}

    public var status: StateSyncStatus { current.withLock { $0 } }

    func step(_ step: String) { current.withLock { $0.step = step } }

    @_spi(Testing) public func report(_ p: StateSync.Progress) {
        current.withLock {
            $0 = StateSyncStatus(step: $0.step, height: p.height, chunksDone: p.chunksDone, chunks: p.chunks, bytesDone: p.bytesDone,
                                 bytes: p.bytes, bytesPerSecond: p.bytesPerSecond, peers: p.peers, peersDropped: p.peersDropped,
                                 resumedChunks: p.resumedChunks, elapsedMs: p.elapsedMs)
        }
    }
}
