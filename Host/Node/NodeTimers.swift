import Consensus
import Synchronization

/// The core's timers, kept in one table and waited for by one sleeping task
/// on the node's clock, which hands each to the loop's queue when it is due.
///
/// Why not a task per timer: every view schedules a view timeout, and at
/// batch 1 (300 views a second) a task per timer was three thread wake-ups a
/// view — starting it, waking it at its deadline, and the loop woken to
/// ignore a timer of a view it had left (`docs/benchmarks.md`, round 3).
/// Here scheduling a timer later than the one already awaited wakes no one.
///
/// What the table keeps is exactly what the core would act on
/// (`EventHandler.onTimer`): a view's timers are ignored once the core has
/// left that view, and the core schedules a view-carrying timer only for its
/// current view, which never goes back — so a timer for view v drops every
/// pending one of a lower view. Of two equal timers only the earlier can
/// matter (the first to fire does the work: a view timeout or a status
/// retry is scheduled again only once it has fired; an idle proposal is
/// requested once per view), so the table keeps one deadline per timer.
/// Bound: three entries (the current view's timeout and idle proposal, the
/// status retry) and one sleeping task.
final class NodeTimers: Sendable {
    private struct State {
        var pending: [Consensus.Timer: UInt64] = [:]
        /// The deadline the current sleeper waits for; nil: none sleeps.
        var sleepingUntil: UInt64?
        /// Which sleeper is current (a superseded one finds nothing to do).
        var generation: UInt64 = 0
        var sleeper: Task<Void, Never>?
        var stopped = false
    }

    private let state = Mutex(State())
    private let clock: any NodeClock
    private let fire: @Sendable (Consensus.Timer) -> Void

    init(clock: any NodeClock, fire: @escaping @Sendable (Consensus.Timer) -> Void) {
        self.clock = clock
        self.fire = fire
    }

    func schedule(_ timer: Consensus.Timer, atMs: UInt64) {
        state.withLock { state in
            guard !state.stopped else { return }
            if let view = timer.view {
                state.pending = state.pending.filter { entry in entry.key.view.map { $0 >= view } ?? true }
            }
            state.pending[timer] = min(state.pending[timer] ?? .max, atMs)
            if let awaited = state.sleepingUntil, awaited <= atMs { return }
            // An earlier deadline than the one awaited: a new sleeper takes over.
            state.sleeper?.cancel()
            state.generation &+= 1
            state.sleepingUntil = atMs
            state.sleeper = sleep(until: atMs, generation: state.generation)
        }
    }

    /// Timers waiting (tests).
    var count: Int { state.withLock { $0.pending.count } }

    /// No timer fires after this.
    func stop() {
        state.withLock { state in
            state.stopped = true
            state.pending = [:]
            state.sleepingUntil = nil
            state.sleeper?.cancel()
            state.sleeper = nil
        }
    }

    private func sleep(until firstMs: UInt64, generation: UInt64) -> Task<Void, Never> {
        Task { [clock, fire] in
            var wakeMs = firstMs
            while true {
                await clock.sleep(untilMs: wakeMs)
                if Task.isCancelled { return }
                let now = clock.nowMs()
                let (due, next) = state.withLock { state -> ([Consensus.Timer], UInt64?) in
                    guard state.generation == generation, !state.stopped else { return ([], nil) }
                    let due = state.pending.filter { $0.value <= now }.sorted { $0.value < $1.value }.map(\.key)
                    for timer in due { state.pending[timer] = nil }
                    let next = state.pending.values.min()
                    state.sleepingUntil = next
                    if next == nil { state.sleeper = nil }
                    return (due, next)
                }
                for timer in due { fire(timer) }
                guard let next else { return }
                wakeMs = next
            }
        }
    }
}

extension Consensus.Timer {
    /// The view a timer belongs to; nil for one that belongs to none.
    var view: View? {
        switch self {
        case .viewTimeout(let view), .idleProposal(let view): view
        case .statusRetry: nil
        }
    }
}
