import Node
import Synchronization

/// A `NodeClock` that moves only when a test advances it: the real node loop
/// on simulated time. Timers sleeping on it wake, in deadline order, when
/// `advance` passes their deadline. Cancellation is not observed (the node
/// never cancels a timer); `wakeAll` releases whatever still sleeps when a
/// test is done.
public final class ManualClock: NodeClock {
    private struct Sleeper {
        let untilMs: UInt64
        let wake: CheckedContinuation<Void, Never>
    }

    private struct State {
        var nowMs: UInt64
        var sleepers: [Sleeper] = []
    }

    private let state: Mutex<State>

    /// Starts at `startMs` (a real time by default: block timestamps stay plausible).
    public init(startMs: UInt64 = SystemClock().nowMs()) { state = Mutex(State(nowMs: startMs)) }

    public func nowMs() -> UInt64 { state.withLock { $0.nowMs } }

    public func sleep(untilMs ms: UInt64) async {
        await withCheckedContinuation { (wake: CheckedContinuation<Void, Never>) in
            let due = state.withLock { state -> Bool in
                guard ms > state.nowMs else { return true }
                state.sleepers.append(Sleeper(untilMs: ms, wake: wake))
                return false
            }
            if due { wake.resume() }
        }
    }

    /// Timers waiting on this clock.
    public var sleeping: Int { state.withLock { $0.sleepers.count } }

    /// The earliest deadline a timer waits for, if any.
    public var nextDeadlineMs: UInt64? { state.withLock { $0.sleepers.map(\.untilMs).min() } }

    /// Moves the clock `ms` forward and wakes every timer now due.
    public func advance(byMs ms: UInt64) {
        let due = state.withLock { state -> [Sleeper] in
            state.nowMs += ms
            let now = state.nowMs
            let due = state.sleepers.filter { $0.untilMs <= now }.sorted { $0.untilMs < $1.untilMs }
            state.sleepers.removeAll { $0.untilMs <= now }
            return due
        }
        for sleeper in due { sleeper.wake.resume() }
    }

    /// Moves the clock to the earliest deadline a timer waits for (as the
    /// simulator's time jumps to its next timer) and wakes what is due.
    /// Whether there was one.
    @discardableResult
    public func advanceToNextDeadline() -> Bool {
        guard let next = nextDeadlineMs else { return false }
        let now = nowMs()
        advance(byMs: next > now ? next - now : 0)
        return true
    }

    /// Wakes every sleeping timer without moving the clock (teardown).
    public func wakeAll() {
        let all = state.withLock { state -> [Sleeper] in
            defer { state.sleepers = [] }
            return state.sleepers
        }
        for sleeper in all { sleeper.wake.resume() }
    }
}
