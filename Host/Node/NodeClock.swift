#if canImport(Glibc)
import Glibc
#endif

/// Where the node's loop reads the time and waits for it. The consensus core
/// never reads a clock (time arrives in its events); the loop stamps each
/// event with `nowMs`, and every timer of the node — the pacemaker's, a
/// pending plugin answer's deadline, the wait for an upgrade's plugin —
/// sleeps through `sleep(untilMs:)`. So the real loop runs as well on a clock
/// a test advances by hand as on the system's.
public protocol NodeClock: Sendable {
    /// Milliseconds since the Unix epoch: block timestamps are compared
    /// across nodes, so this is wall-clock time, not a monotonic count.
    func nowMs() -> UInt64
    /// Returns once the clock reads at least `ms`, or at once if the calling
    /// task is cancelled.
    func sleep(untilMs ms: UInt64) async
}

extension NodeClock {
    /// Returns once `ms` milliseconds have passed on this clock.
    func sleep(forMs ms: UInt64) async { await sleep(untilMs: nowMs() &+ ms) }
}

/// The system's real-time clock.
public struct SystemClock: NodeClock {
    public init() {}

    public func nowMs() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return UInt64(now.tv_sec) * 1_000 + UInt64(now.tv_nsec) / 1_000_000
    }

    public func sleep(untilMs ms: UInt64) async {
        let now = nowMs()
        guard ms > now else { return }
        try? await Task.sleep(for: .milliseconds(ms - now))
    }
}
