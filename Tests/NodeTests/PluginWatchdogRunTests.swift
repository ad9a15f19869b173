import Foundation
import Logging
@testable import Node
import Synchronization
import Testing

/// `PluginWatchdog.measureEach`: a run of calls under one registration keeps
/// `measure`'s promises for each call — a budget per call, every duration
/// counted, an overrun reported while the call still runs.
@Suite struct PluginWatchdogRunTests {
    /// Runs `body` on a thread of its own: the calls it makes block, and a
    /// blocked thread of the cooperative pool would stall the other tests.
    func onThread<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            Thread { continuation.resume(returning: body()) }.start()
        }
    }

    func checkTxCount(_ metrics: NodeMetrics) -> Int? {
        let prefix = "baton_plugin_call_seconds_count{call=\"check_tx\"} "
        guard let line = metrics.text.split(separator: "\n").first(where: { $0.hasPrefix(prefix) }) else { return nil }
        return Int(line.dropFirst(prefix.count))
    }

    /// A tick can read a call's start later than the `now` it took (the
    /// worker moves the start without the lock): the elapsed time is then
    /// negative, and counts as 0 ms. Under a second it once trapped (seconds
    /// 0, attoseconds negative) and stopped a node in a batch-400 benchmark.
    @Test func aNegativeElapsedTimeIsZeroMilliseconds() {
        #expect(Duration.milliseconds(-1.5).milliseconds == 0)
        #expect(Duration.microseconds(-999_999).milliseconds == 0)
        #expect(Duration.seconds(-3).milliseconds == 0)
        #expect(Duration.milliseconds(2.5).milliseconds == 2)
        #expect(Duration.seconds(3).milliseconds + Duration.milliseconds(7).milliseconds == 3_007)
    }

    /// Sixty calls of 40 ms each take longer than the budget of 2 s together
    /// and are each far within it: no overrun (measuring the run as one call
    /// would report one), and sixty durations counted. A loaded machine only
    /// stretches the sleeps, which keeps the run past the budget; a call would
    /// have to stretch fifty times to overrun.
    @Test func aRunLongerThanTheBudgetWhoseCallsAreWithinItIsNoOverrun() async {
        var budgets = PluginBudgets()
        budgets.checkTxMs = 2_000
        let metrics = NodeMetrics()
        let watchdog = PluginWatchdog(plugin: "run", budgets: budgets, logger: Logger(label: "test"), metrics: metrics)
        let overruns = Mutex(0)
        let (calls, took) = await onThread {
            var made = 0
            let started = ContinuousClock.now
            watchdog.measureEach(.checkTx, count: 60, onOverrun: { _ in overruns.withLock { $0 += 1 } }) { _ in
                Thread.sleep(forTimeInterval: 0.04)
                made += 1
                return true
            }
            return (made, ContinuousClock.now - started)
        }
        #expect(took > .seconds(2), "the run as a whole outlasted the budget")
        #expect(calls == 60)
        #expect(overruns.withLock { $0 } == 0)
        #expect(checkTxCount(metrics) == 60)
        #expect(watchdog.running.isEmpty, "the run's entry is gone when it ends")
    }

    /// The ninth call of a run blocks until the watchdog reports it: the
    /// overrun names the call, counts from that call's start (the eight
    /// before it took 4 s, each a third of the budget of 1.5 s), and the run
    /// stops when its body says so.
    @Test func aCallPastItsBudgetInARunIsReportedWhileItRuns() async {
        var budgets = PluginBudgets()
        budgets.checkTxMs = 1_500
        let metrics = NodeMetrics()
        let watchdog = PluginWatchdog(plugin: "run", budgets: budgets, logger: Logger(label: "test"), metrics: metrics)
        let reported = DispatchSemaphore(value: 0)
        let overrun = Mutex<PluginWatchdog.Overrun?>(nil)
        let (calls, waited) = await onThread {
            var made = 0
            var waited = DispatchTimeoutResult.timedOut
            watchdog.measureEach(.checkTx, count: 10, onOverrun: { report in
                overrun.withLock { $0 = report }
                reported.signal()
            }) { index in
                made += 1
                if index < 8 { Thread.sleep(forTimeInterval: 0.5); return true }
                waited = reported.wait(timeout: .now() + 60)  // a safety net, not the claim
                return false
            }
            return (made, waited)
        }
        #expect(waited == .success)
        #expect(calls == 9, "the run stopped after the call that overran")
        let report = overrun.withLock { $0 }
        #expect(report?.call == .checkTx && report?.budgetMs == 1_500)
        // From the slow call's start: counted from the run's, it would be past 5.5 s.
        #expect((report?.elapsedMs ?? 0) >= 1_500 && (report?.elapsedMs ?? .max) < 4_000)
        #expect(metrics.text.contains("baton_plugin_overruns_total 1"))
        #expect(checkTxCount(metrics) == 9)
    }
}
