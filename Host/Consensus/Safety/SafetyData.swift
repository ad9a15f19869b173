/// What a node must remember across crashes to never sign two conflicting
/// messages. The shell writes it durably (a synchronous write) *before* the
/// vote or timeout it guards leaves the node.
public struct SafetyData: Hashable, Sendable {
    /// The highest view this node voted in (0: none).
    public var highestVotedView: View = 0
    /// The highest view this node timed out in (0: none).
    public var highestTimeoutView: View = 0
    /// The last timeout it signed, re-broadcast while stuck in that view.
    public var lastTimeout: TimeoutObject?
    /// The highest view it actually signed in. The two views above may be
    /// raised without a signature (SR-R's floor); this one never is: it is
    /// what a status answer reports (`StatusReport.signedThrough`).
    public var highestSignedView: View = 0
    /// SR-R: no vote (and no proposal) in a view up to this one. Apart from
    /// `highestVotedView`, so that a new chain's members may still time out
    /// in view 1 (see `SafetyRecovery`, the genesis exception).
    public var votesRefusedThrough: View = 0
    /// The epoch whose signatures these views are (EP-2): data of an earlier
    /// epoch says nothing about the next, whose signatures are in another
    /// domain; a core of a later epoch starts from empty data of its own.
    public var epoch: Epoch = 0

    public init(highestVotedView: View = 0, highestTimeoutView: View = 0, lastTimeout: TimeoutObject? = nil,
                highestSignedView: View? = nil, votesRefusedThrough: View = 0, epoch: Epoch = 0) {
        self.epoch = epoch
        self.votesRefusedThrough = votesRefusedThrough
        self.highestVotedView = highestVotedView
        self.highestTimeoutView = highestTimeoutView
        self.lastTimeout = lastTimeout
        self.highestSignedView = highestSignedView ?? max(highestVotedView, highestTimeoutView)
    }
}

extension SafetyData: WireCodable {
    public func encode(to w: inout WireWriter) {
        w.u64(highestVotedView)
        w.u64(highestTimeoutView)
        w.bool(lastTimeout != nil)
        lastTimeout?.encode(to: &w)
        w.u64(highestSignedView)
        w.u64(votesRefusedThrough)
        w.u64(epoch)
    }

    public init(from r: inout WireReader) throws(WireDecodingError) {
        highestVotedView = try r.u64("safety.highestVotedView")
        highestTimeoutView = try r.u64("safety.highestTimeoutView")
        lastTimeout = try r.bool("safety.hasTimeout") ? try TimeoutObject(from: &r) : nil
        // Written since SR-R; older records (which always end here) count every view as signed.
        highestSignedView = r.remaining >= 8 ? try r.u64("safety.highestSignedView") : max(highestVotedView, highestTimeoutView)
        votesRefusedThrough = r.remaining >= 8 ? try r.u64("safety.votesRefusedThrough") : 0
        // Written since epochs; older records are epoch 0's.
        epoch = r.remaining >= 8 ? try r.u64("safety.epoch") : 0
    }
}
