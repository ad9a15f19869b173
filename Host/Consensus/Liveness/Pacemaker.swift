/// Round timing and view entry (DESIGN §2).
///
/// A view is entered only on a QC or TC for the previous view (no passive view
/// changes); a certificate for view V lets a node skip ahead to V+1 from any
/// lower view. Timeouts use truncated exponential backoff: `toleratedFailures`
/// consecutive failed views at the base duration, then each further one
/// multiplies it by `backoffPermille / 1000`, up to `timeoutMsMax`; a view that
/// ends with a QC resets it to the base (PM-1 in docs/consensus.md: a QC proves a
/// quorum is live and in step again, so the run of failures is over).
public struct Pacemaker: Sendable {
    public struct Config: Hashable, Sendable {
        public var timeoutMsBase: UInt64 = 1_000
        public var timeoutMsMax: UInt64 = 30_000
        public var backoffPermille: UInt64 = 1_500
        public var toleratedFailures = 6
        /// An idle leader proposes an empty block at most this often.
        public var idleBlockIntervalMs: UInt64 = 300

        public init() {}

        /// Why this configuration cannot work, or nil.
        public func problem() -> String? {
            guard timeoutMsBase > 0, timeoutMsMax >= timeoutMsBase else { return "need 0 < timeout base <= timeout max" }
            guard backoffPermille >= 1_000 else { return "backoff factor must be at least 1.0" }
            // On an idle chain the leader of view v waits one interval before it
            // proposes and another for the proposal of v+1: both must fit.
            guard idleBlockIntervalMs * 2 < timeoutMsBase else {
                return "twice the idle block interval (\(idleBlockIntervalMs) ms) must be shorter than the view timeout (\(timeoutMsBase) ms), or idle views time out"
            }
            return nil
        }
    }

    public enum Cause: Hashable, Sendable { case qc, tc }

    public let config: Config
    public private(set) var currentView: View
    public private(set) var highestQC: QuorumCertificate
    /// The TC for `currentView - 1` when the view was entered by a TC.
    public private(set) var lastViewTC: TimeoutCertificate?
    /// Consecutive failed views (entered by TC) since the last QC entry.
    public private(set) var failures = 0

    public init(config: Config, currentView: View, highestQC: QuorumCertificate, lastViewTC: TimeoutCertificate?) {
        self.config = config
        self.currentView = max(currentView, highestQC.view + 1)
        self.highestQC = highestQC
        self.lastViewTC = lastViewTC
    }

    /// Records a QC; enters `qc.view + 1` if that is ahead. Returns the new view.
    public mutating func process(_ qc: QuorumCertificate) -> View? {
        if qc.view > highestQC.view { highestQC = qc }
        guard qc.view >= currentView else { return nil }
        currentView = qc.view + 1
        // Views only move forward, and only on a certificate for the one before.
        precondition(currentView == qc.view + 1 && highestQC.view >= qc.view, "entered a view without its QC")
        lastViewTC = nil
        // PM-1: a QC ends the run of failures (it took one step back per QC:
        // after a crash the backoff outlived the fault by as many views).
        failures = 0
        return currentView
    }

    /// Records a TC (and its QC); enters `tc.view + 1` if that is ahead.
    public mutating func process(_ tc: TimeoutCertificate) -> View? {
        _ = process(tc.highQC)
        guard tc.view >= currentView else { return nil }
        currentView = tc.view + 1
        precondition(highestQC.view >= tc.highQC.view, "the highest QC fell behind a TC's")
        lastViewTC = tc
        failures += 1
        return currentView
    }

    /// The current view's timeout: base × factor^(failures − tolerated), capped.
    public var timeoutMs: UInt64 {
        var duration = config.timeoutMsBase
        var steps = failures - config.toleratedFailures
        while steps > 0, duration < config.timeoutMsMax {
            duration = duration * config.backoffPermille / 1_000
            steps -= 1
        }
        return min(duration, config.timeoutMsMax)
    }
}
