import Foundation
import Logging
import Synchronization

/// Times every synchronous plugin call the node makes and reports one that
/// overruns its budget **while it still runs**: a thread of its own looks at
/// the calls in flight every `tickMs`, because the thread making a stuck C
/// call cannot report anything until the call returns (and a stuck
/// `validate_block` holds the consensus loop, so nothing on it could either).
///
/// What an overrun produces: one warning naming plugin, call, height and
/// elapsed time at the budget, again every `repeatLogMs` while it lasts, and
/// a notice when it returns; `baton_plugin_overruns_total` once per call;
/// `stuck` (read by `/v1/status` without the node's actor, which the stuck
/// call may be holding); and the caller's `onOverrun`, once, on this thread
/// (the side lane answers the client 503 from there). Every call, fast or
/// not, lands in `baton_plugin_call_seconds{call=…}`.
///
/// Bound: one entry per call in flight — the loop's one, plus one per side
/// lane worker (`PluginSideLane.workersMax`); never more than `runningMax`.
public final class PluginWatchdog: Sendable {
    /// A call past its budget, still running.
    public struct Overrun: Sendable, Hashable {
        public let plugin: String
        public let call: PluginCall
        public let height: UInt64?
        public let elapsedMs: UInt64
        public let budgetMs: UInt64

        /// "plugin 'kvstore' stuck in validate_block at height 12 for 12 s (budget 1 s)".
        public var text: String {
            let at = height.map { " at height \($0)" } ?? ""
            return "plugin '\(plugin)' stuck in \(call.name)\(at) for \(Self.seconds(elapsedMs)) (budget \(Self.seconds(budgetMs)))"
        }

        static func seconds(_ ms: UInt64) -> String {
            ms % 1_000 == 0 ? "\(ms / 1_000) s" : String(format: "%.1f s", Double(ms) / 1_000)
        }
    }

    struct Running {
        let call: PluginCall
        let height: UInt64?
        let started: ContinuousClock.Instant
        /// A run of calls (`measureEach`): the current call's start, moved by
        /// the calling thread without the lock; nil for a single call.
        let mark: StartMark?
        let budgetMs: UInt64
        let onOverrun: (@Sendable (Overrun) -> Void)?
        let slowAfterMs: UInt64?
        let onSlow: (@Sendable () -> Void)?
        var overran = false
        var slowReported = false
        var lastLogged: ContinuousClock.Instant?
    }

    /// Where a run's current call started, in nanoseconds after the
    /// watchdog's `origin`: an atomic, so moving it costs no lock.
    final class StartMark: Sendable {
        let nanoseconds: Atomic<Int64>
        init(_ value: Int64) { nanoseconds = Atomic(value) }
    }

    struct State {
        var running: [UInt64: Running] = [:]
        var nextID: UInt64 = 1
    }

    static let runningMax = 64
    static let tickMs = 100
    static let repeatLogMs: UInt64 = 10_000

    public let budgets: PluginBudgets
    private let state = Mutex(State())
    /// The application in force's name, for the reports (an upgrade changes it).
    private let pluginName: Mutex<String>
    private let logger: Logger
    private let metrics: NodeMetrics
    private let clock = ContinuousClock()
    /// What `StartMark`s count from.
    private let origin = ContinuousClock.now

    public init(plugin: String, budgets: PluginBudgets, logger: Logger, metrics: NodeMetrics) {
        self.budgets = budgets
        self.pluginName = Mutex(plugin)
        self.logger = logger
        self.metrics = metrics
        // The thread holds the watchdog weakly: it ends once the node is gone.
        let thread = Thread { [weak self] in
            while true {
                do {
                    guard let watchdog = self else { return }
                    watchdog.tick()
                }
                Thread.sleep(forTimeInterval: Double(Self.tickMs) / 1_000)
            }
        }
        thread.name = "baton-plugin-watchdog"
        thread.start()
    }

    public var plugin: String {
        get { pluginName.withLock { $0 } }
        set { pluginName.withLock { $0 = newValue } }
    }

    /// Runs `body` (one plugin call) under watch.
    ///
    /// - Parameters:
    ///   - onOverrun: called once, from the watchdog's thread, when the call
    ///     passes its budget while still running.
    ///   - onSlow: called once, from the watchdog's thread, when the call has
    ///     run `afterMs` (well within budget): the side lane routes around it.
    public func measure<R, E: Error>(
        _ call: PluginCall, height: UInt64? = nil, onOverrun: (@Sendable (Overrun) -> Void)? = nil,
        onSlow: (afterMs: UInt64, handler: @Sendable () -> Void)? = nil,
        _ body: () throws(E) -> R
    ) throws(E) -> R {
        let started = clock.now
        let id = register(Running(call: call, height: height, started: started, mark: nil,
                                  budgetMs: budgets.milliseconds(call), onOverrun: onOverrun,
                                  slowAfterMs: onSlow?.afterMs, onSlow: onSlow?.handler))
        defer {
            let elapsed = clock.now - started
            metrics.pluginCallSeconds(call).recordNanoseconds(elapsed.nanoseconds)
            unregister(id, call: call, height: height, elapsed: elapsed)
        }
        return try body()
    }

    /// Enters a call (or a run) in flight; nil past `runningMax` (then it is
    /// timed, not watched).
    private func register(_ running: Running) -> UInt64? {
        state.withLock { state -> UInt64? in
            guard state.running.count < Self.runningMax else { return nil }
            let id = state.nextID
            state.nextID += 1
            state.running[id] = running
            return id
        }
    }

    /// Ends it; one that overran is logged as returned.
    private func unregister(_ id: UInt64?, call: PluginCall, height: UInt64?, elapsed: Duration) {
        guard let id, let finished = state.withLock({ $0.running.removeValue(forKey: id) }), finished.overran else { return }
        logger.notice("plugin call returned after overrunning its budget",
                      metadata: ["plugin": "\(plugin)", "call": "\(call.name)", "height": "\(height.map(String.init) ?? "-")",
                                 "elapsedMs": "\(elapsed.milliseconds)", "budgetMs": "\(finished.budgetMs)"])
    }

    /// Runs `count` calls of `call` back to back under one registration —
    /// what `measure` does for each of them, without a lock, an entry and two
    /// clock reads per call (the side lane checks a gossiped batch of 400
    /// transactions a call each, and `measure` per call was 1.8 % of a loaded
    /// machine). Each call's budget runs from its own start, every call's
    /// duration lands in `baton_plugin_call_seconds`, and an overrun is
    /// reported as `measure` reports one: once (`onOverrun` then answers the
    /// caller, who stops), logged while it lasts and when it returns.
    /// `body(i)` makes call `i`; it returns false to stop the run early.
    public func measureEach(
        _ call: PluginCall, count: Int, onOverrun: (@Sendable (Overrun) -> Void)? = nil,
        onSlow: (afterMs: UInt64, handler: @Sendable () -> Void)? = nil, _ body: (Int) -> Bool
    ) {
        guard count > 0 else { return }
        var started = clock.now
        let mark = StartMark((started - origin).nanoseconds)
        let id = register(Running(call: call, height: nil, started: started, mark: mark,
                                  budgetMs: budgets.milliseconds(call), onOverrun: onOverrun,
                                  slowAfterMs: onSlow?.afterMs, onSlow: onSlow?.handler))
        let histogram = metrics.pluginCallSeconds(call)
        var longest = Duration.zero
        defer { unregister(id, call: call, height: nil, elapsed: longest) }
        for index in 0..<count {
            let goOn = body(index)
            let ended = clock.now
            let elapsed = ended - started
            histogram.recordNanoseconds(elapsed.nanoseconds)
            longest = max(longest, elapsed)
            guard goOn else { return }
            started = ended
            mark.nanoseconds.store((ended - origin).nanoseconds, ordering: .relaxed)
        }
    }

    /// When `running`'s current call started.
    private func start(of running: Running) -> ContinuousClock.Instant {
        guard let mark = running.mark else { return running.started }
        return origin + .nanoseconds(mark.nanoseconds.load(ordering: .relaxed))
    }

    /// The calls past their budget now, longest first.
    public var stuck: [Overrun] {
        let now = clock.now
        let name = plugin
        return state.withLock { state in
            state.running.values.filter(\.overran).map { overrun($0, now: now, plugin: name) }
        }.sorted { $0.elapsedMs > $1.elapsedMs }
    }

    /// The calls in flight now (within budget or not).
    public var running: [PluginCall] { state.withLock { $0.running.values.map(\.call) } }

    /// One look at the calls in flight (the watchdog thread's, and tests').
    func tick() {
        let now = clock.now
        let name = plugin
        var reports: [(Overrun, first: Bool, (@Sendable (Overrun) -> Void)?)] = []
        var slow: [@Sendable () -> Void] = []
        state.withLock { state in
            for (id, running) in state.running {
                let elapsedMs = (now - start(of: running)).milliseconds
                if let after = running.slowAfterMs, let handler = running.onSlow, !running.slowReported, elapsedMs >= after {
                    state.running[id]?.slowReported = true
                    slow.append(handler)
                }
                guard elapsedMs >= running.budgetMs else { continue }
                var entry = state.running[id]!
                let first = !entry.overran
                let due = entry.lastLogged.map { (now - $0).milliseconds >= Self.repeatLogMs } ?? true
                guard first || due else { continue }
                entry.overran = true
                entry.lastLogged = now
                state.running[id] = entry
                reports.append((overrun(entry, now: now, plugin: name), first, first ? entry.onOverrun : nil))
            }
        }
        // Outside the lock: a handler may take other locks (the side lane's).
        for handler in slow { handler() }
        for (report, first, handler) in reports {
            if first { metrics.pluginOverruns.increment() }
            logger.warning("\(report.text)", metadata: [
                "plugin": "\(report.plugin)", "call": "\(report.call.name)",
                "height": "\(report.height.map(String.init) ?? "-")", "elapsedMs": "\(report.elapsedMs)",
                "budgetMs": "\(report.budgetMs)"])
            handler?(report)
        }
    }

    private func overrun(_ running: Running, now: ContinuousClock.Instant, plugin: String) -> Overrun {
        Overrun(plugin: plugin, call: running.call, height: running.height,
                elapsedMs: (now - start(of: running)).milliseconds, budgetMs: running.budgetMs)
    }
}

extension Duration {
    /// Whole milliseconds; 0 for a negative duration. A call's start under
    /// `measureEach` is an atomic its worker moves without the watchdog's
    /// lock, so `tick` can read a start later than the `now` it took: a
    /// negative duration of under a second (seconds 0, attoseconds negative)
    /// once trapped here and stopped a node under load.
    var milliseconds: UInt64 {
        let (seconds, attoseconds) = components
        guard seconds >= 0, attoseconds >= 0 else { return 0 }
        return UInt64(seconds) * 1_000 + UInt64(attoseconds / 1_000_000_000_000_000)
    }

    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
