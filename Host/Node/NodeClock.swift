#if canImport(Glibc)
import Glibc
#endif

/// Where the node's loop reads the time. The consensus core never reads a
/// clock (time arrives in its events); the loop stamps each event with this.
public protocol NodeClock: Sendable {
    /// Milliseconds since the Unix epoch: block timestamps are compared
    /// across nodes, so this is wall-clock time, not a monotonic count.
    func nowMs() -> UInt64
}

/// The system's real-time clock.
public struct SystemClock: NodeClock {
    public init() {}

    public func nowMs() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return UInt64(now.tv_sec) * 1_000 + UInt64(now.tv_nsec) / 1_000_000
    }
}
