import BatonTestSupport
import Consensus
import Foundation
import Node
import Testing

/// Every timer of the real node loop runs on its `NodeClock` (issue 30,
/// item 5). Four real nodes on a clock the test moves by hand, from one
/// timer's deadline to the next as the simulator does: their timers sleep on
/// that clock (none would, were they on the system's), the chain grows as the
/// clock moves, and while it is held the chain stands still however much real
/// time passes (the core judges every timer by the time in its events).
@Suite struct ManualClockNodeTests {
    @Test func aFederationOnAHeldClockStandsStillAndMovesWithIt() async throws {
        let clock = ManualClock()
        let cluster = try LocalCluster(clock: clock)
        defer { cluster.removeDirectories() }
        let config = LocalCluster.fastConsensus.pacemaker
        try await cluster.startAll()
        func height() async -> Height { await cluster.heights().compactMap { $0 }.min() ?? 0 }
        /// Moves the clock from one timer's deadline to the next until every
        /// node has finalized `target` (at most `steps` moves; after each,
        /// the nodes get a moment of real time to act on what woke).
        func advance(until target: Height, steps: Int = 1_000) async -> Bool {
            for _ in 0..<steps {
                let before = await height()
                if before >= target { return true }
                if !clock.advanceToNextDeadline() { _ = await waitUntil(seconds: 1, intervalMs: 2) { clock.sleeping > 0 } }
                _ = await waitUntil(seconds: 0.2, intervalMs: 2) { await height() > before }
            }
            return await height() >= target
        }
        #expect(await waitUntil(seconds: 30) { clock.sleeping > 0 }, "the nodes' timers sleep on their own clock")
        let grew = await advance(until: 3)
        #expect(grew, "the chain grows as the clock moves")
        // Held: what was in flight settles, then nothing moves the chain.
        try await Task.sleep(for: .milliseconds(Int(2 * config.timeoutMsBase)))
        let held = await height()
        try await Task.sleep(for: .milliseconds(Int(2 * config.timeoutMsBase)))
        #expect(await height() == held, "a timer ran on the system's clock: the chain grew while the node's clock stood still")
        #expect(await advance(until: held + 3), "it grows again when the clock moves")
        #expect(try await cluster.agree(upTo: held + 3))
        await cluster.stopAll()
        clock.wakeAll()
    }
}
