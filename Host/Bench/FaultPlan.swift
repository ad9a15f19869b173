import ArgumentParser
import Foundation

/// `baton bench cluster --kill I@S --restart I@S --wipe I@S`: faults injected
/// into the benchmark's own cluster at second S of the measured window (after
/// the warmup), and what users saw through them — committed tx/s before the
/// first fault, in the 10 s after it and in the rest, the longest gap
/// between finalized blocks, the time until throughput is back to 80 % of
/// before, when a restarted or wiped member led a finalized block again, and
/// when a wiped one reached the height the others had at its wipe.
struct FaultPlan: Sendable {
    struct Fault: Sendable, Hashable {
        /// `wipe`: kill -9, delete the member's data directory, start it
        /// again at once (a new or replaced disk): it comes back by state
        /// sync when its peers pruned its first blocks, else by block sync.
        enum Kind: String, Sendable { case kill, restart, wipe }
        let kind: Kind
        let node: Int
        let second: Int
    }

    let faults: [Fault]

    /// Parses `I@S` specs; node 0 cannot be killed: its event stream times
    /// every transaction (kill another member).
    init(kills: [String], restarts: [String], wipes: [String] = [], nodes: Int, seconds: Int) throws {
        func parse(_ spec: String, _ kind: Fault.Kind) throws -> Fault {
            let parts = spec.split(separator: "@")
            guard parts.count == 2, let node = Int(parts[0]), let second = Int(parts[1]) else {
                throw ValidationError("--\(kind.rawValue) takes NODE@SECOND (e.g. 2@10), not '\(spec)'")
            }
            guard (1..<nodes).contains(node) else {
                throw ValidationError("--\(kind.rawValue) \(spec): node must be 1…\(nodes - 1) (node 0's event stream times the transactions)")
            }
            guard (0..<seconds).contains(second) else {
                throw ValidationError("--\(kind.rawValue) \(spec): the second must fall in the measured window, 0…\(seconds - 1)")
            }
            return Fault(kind: kind, node: node, second: second)
        }
        faults = try (kills.map { try parse($0, .kill) } + restarts.map { try parse($0, .restart) } + wipes.map { try parse($0, .wipe) })
            .sorted { ($0.second, $0.kind == .kill ? 0 : 1) < ($1.second, $1.kind == .kill ? 0 : 1) }
        for fault in faults where fault.kind == .restart {
            guard faults.contains(where: { $0.kind == .kill && $0.node == fault.node && $0.second < fault.second }) else {
                throw ValidationError("--restart \(fault.node)@\(fault.second): kill node \(fault.node) before (e.g. --kill \(fault.node)@\(max(0, fault.second - 10)))")
            }
        }
    }

    var isEmpty: Bool { faults.isEmpty }

    /// What the fault did to service, from the blocks node 0 finalized.
    struct Impact {
        var rows: [[String]] = []
        var json: [String: Any] = [:]
    }

    /// `blocks`: node 0's finalized blocks (time, proposer, transactions),
    /// in order; `from`/`to`: the measured window.
    /// `caughtUp`: per wiped member, the seconds from its wipe until its
    /// height reached node 0's at the wipe (nil: not in the window).
    func impact(of blocks: [Ledger.BlockSeen], from: ContinuousClock.Instant, to: ContinuousClock.Instant,
                caughtUp: [Int: Double?] = [:]) -> Impact {
        guard let first = faults.first else { return Impact() }
        let faultAt = from + .seconds(first.second)
        func seconds(_ d: Duration) -> Double { Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18 }
        func rate(_ a: ContinuousClock.Instant, _ b: ContinuousClock.Instant) -> Double {
            guard b > a else { return 0 }
            return Double(blocks.filter { $0.at >= a && $0.at < b }.reduce(0) { $0 + $1.transactions }) / seconds(b - a)
        }
        func longestGap(after a: ContinuousClock.Instant) -> Double {
            var last = a, longest = 0.0
            for block in blocks where block.at >= a && block.at < to {
                longest = max(longest, seconds(block.at - last))
                last = block.at
            }
            return max(longest, seconds(to - last)) * 1_000
        }
        let settled = min(faultAt + .seconds(10), to)
        let before = rate(from, faultAt), during = rate(faultAt, settled), after = rate(settled, to)
        // Back: the first 1-second window (sliding by 100 ms) at 80 % of before.
        var back: Double?
        var t = faultAt
        while t + .seconds(1) <= to {
            if rate(t, t + .seconds(1)) >= 0.8 * before { back = seconds(t - faultAt); break }
            t += .milliseconds(100)
        }
        // Views without a finalized block of their own once settled: what a
        // member that is down still costs (each is a view timeout), by count,
        // not by the clock.
        let settledViews = blocks.filter { $0.at >= settled && $0.at < to && $0.view >= 0 }.map(\.view)
        let viewSpan = settledViews.count < 2 ? 0 : settledViews.last! - settledViews.first! + 1
        let viewsLost = max(0, viewSpan - settledViews.count)
        var impact = Impact()
        let name = "\(first.kind.rawValue) \(first.node)@\(first.second)"
        impact.rows = [
            ["committed tx/s before the \(name)", String(format: "%.0f", before)],
            ["committed tx/s in the 10 s after it", String(format: "%.0f", during)],
            ["committed tx/s after those 10 s", String(format: "%.0f (%.0f %% of before)", after, before > 0 ? 100 * after / before : 0)],
            ["longest gap between finalized blocks after it / after those 10 s (ms)",
             String(format: "%.0f / %.0f", longestGap(after: faultAt), longestGap(after: settled))],
            ["back to 80 % of before after (s)", back.map { String(format: "%.1f", $0) } ?? "never in the window"],
            ["views after those 10 s without a finalized block of their own", "\(viewsLost) of \(viewSpan)"],
        ]
        impact.json = ["fault": name, "txPerSecondBefore": before, "txPerSecondFirst10s": during, "txPerSecondAfter": after,
                       "longestGapMs": longestGap(after: faultAt), "longestGapAfter10sMs": longestGap(after: settled),
                       "backTo80PercentSeconds": back as Any, "viewsAfter10s": viewSpan, "viewsLostAfter10s": viewsLost]
        for restart in faults where restart.kind == .restart || restart.kind == .wipe {
            let at = from + .seconds(restart.second)
            // Proposed after the restart: a block node 0 sees finalized by
            // then has a view at most 2 above the highest it had seen (the
            // 2-chain), so one proposed before it cannot count.
            let viewThen = blocks.last { $0.at < at }?.view ?? -1
            let led = blocks.first { $0.at >= at && $0.proposer == restart.node && (viewThen < 0 || $0.view > viewThen + 2) }
            impact.rows.append(["member \(restart.node) led a finalized block again after its \(restart.kind.rawValue) (s)",
                                led.map { String(format: "%.1f", seconds($0.at - at)) } ?? "not in the window"])
            impact.json["ledAgainAfterRestartSeconds"] = led.map { seconds($0.at - at) } as Any
        }
        for (node, caughtUp) in caughtUp.sorted(by: { $0.key < $1.key }) {
            impact.rows.append(["member \(node) at the others' height at its wipe after (s)",
                                caughtUp.map { String(format: "%.1f", $0) } ?? "not in the window"])
            impact.json["wipedAtHeightSeconds"] = caughtUp as Any
        }
        return impact
    }
}
