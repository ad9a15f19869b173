import BatonTestSupport
import Consensus
@testable import Node
import Synchronization
import Testing

/// `NodeTimers` on a clock the test moves: a timer fires at its deadline and
/// in deadline order, and what the core would ignore never reaches the loop.
@Suite struct NodeTimersTests {
    final class Fired: Sendable {
        let timers = Mutex<[Consensus.Timer]>([])
        var all: [Consensus.Timer] { timers.withLock { $0 } }
        func wait(for count: Int) async -> Bool { await waitUntil(seconds: 30, intervalMs: 2) { self.all.count >= count } }
    }

    func make() -> (ManualClock, NodeTimers, Fired) {
        let clock = ManualClock(startMs: 1_000)
        let fired = Fired()
        return (clock, NodeTimers(clock: clock) { timer in fired.timers.withLock { $0.append(timer) } }, fired)
    }

    /// A timer for a later view drops the earlier views' timers: the core
    /// has left those views and would ignore them.
    @Test func aLaterViewsTimerDropsTheEarlierViews() async {
        let (clock, timers, fired) = make()
        timers.schedule(.viewTimeout(1), atMs: 1_400)
        timers.schedule(.idleProposal(1), atMs: 1_050)
        #expect(timers.count == 2)
        timers.schedule(.viewTimeout(2), atMs: 1_500)
        timers.schedule(.statusRetry, atMs: 1_600)
        #expect(timers.count == 2)
        clock.advance(byMs: 1_000)
        #expect(await fired.wait(for: 2))
        #expect(fired.all == [.viewTimeout(2), .statusRetry])
        clock.wakeAll()
    }

    /// An earlier deadline than the one awaited fires at its time, and due
    /// timers reach the loop in deadline order, each once.
    @Test func timersFireAtTheirDeadlinesInOrder() async {
        let (clock, timers, fired) = make()
        timers.schedule(.viewTimeout(5), atMs: 2_000)
        timers.schedule(.idleProposal(5), atMs: 1_200)
        clock.advance(byMs: 199)
        try? await Task.sleep(for: .milliseconds(20))
        #expect(fired.all.isEmpty)
        clock.advance(byMs: 1)
        #expect(await fired.wait(for: 1))
        #expect(fired.all == [.idleProposal(5)])
        // Scheduled again while nothing earlier waits; then both are due at once.
        timers.schedule(.statusRetry, atMs: 1_900)
        clock.advance(byMs: 900)
        #expect(await fired.wait(for: 3))
        #expect(fired.all == [.idleProposal(5), .statusRetry, .viewTimeout(5)])
        #expect(timers.count == 0)
        clock.wakeAll()
    }

    /// Of two equal timers only the earlier deadline is kept; after `stop`
    /// nothing fires.
    @Test func equalTimersKeepTheEarlierDeadlineAndStopEndsThem() async {
        let (clock, timers, fired) = make()
        timers.schedule(.statusRetry, atMs: 1_500)
        timers.schedule(.statusRetry, atMs: 1_300)
        #expect(timers.count == 1)
        clock.advance(byMs: 300)
        #expect(await fired.wait(for: 1))
        clock.advance(byMs: 300)
        try? await Task.sleep(for: .milliseconds(20))
        #expect(fired.all == [.statusRetry])

        timers.schedule(.viewTimeout(9), atMs: 1_700)
        timers.stop()
        timers.schedule(.viewTimeout(10), atMs: 1_700)
        clock.advance(byMs: 200)
        try? await Task.sleep(for: .milliseconds(20))
        #expect(fired.all == [.statusRetry] && timers.count == 0)
        clock.wakeAll()
    }
}
