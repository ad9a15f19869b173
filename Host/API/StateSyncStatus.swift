/// `GET /v1/status` while a state sync runs, before the node itself starts
/// (issue 31): the API answers this and nothing else (the other routes 503).
public struct StateSyncStatus: Codable, Sendable, Hashable {
    /// Always "state-sync": tells this answer from a running node's.
    public var phase: String
    /// What the sync is doing: "asking the peers for a snapshot",
    /// "fetching chunks", "restoring into the store".
    public var step: String
    /// The snapshot's height (0 until one is chosen).
    public var height: UInt64
    public var chunksDone: Int
    public var chunks: Int
    public var bytesDone: UInt64
    public var bytes: UInt64
    public var bytesPerSecond: UInt64
    /// Peers serving chunks, and peers dropped (a bad chunk, no answer).
    public var peers: Int
    public var peersDropped: Int
    /// Chunks a sync cut short had verified and kept.
    public var resumedChunks: Int
    public var elapsedMs: UInt64

    public init(step: String, height: UInt64 = 0, chunksDone: Int = 0, chunks: Int = 0, bytesDone: UInt64 = 0, bytes: UInt64 = 0,
                bytesPerSecond: UInt64 = 0, peers: Int = 0, peersDropped: Int = 0, resumedChunks: Int = 0, elapsedMs: UInt64 = 0) {
        phase = "state-sync"
        self.step = step
        self.height = height
        self.chunksDone = chunksDone
        self.chunks = chunks
        self.bytesDone = bytesDone
        self.bytes = bytes
        self.bytesPerSecond = bytesPerSecond
        self.peers = peers
        self.peersDropped = peersDropped
        self.resumedChunks = resumedChunks
        self.elapsedMs = elapsedMs
    }
}
