/// Block sync, the asking side, as a value (HotStuff-rs' block sync
/// subprotocol; DESIGN §2): which missing blocks are asked of which peer and
/// when, and the one catch-up batch by height in flight.
///
/// Who is asked: first the peer the caller names (the proposer of the block
/// that revealed the gap: it had the parent), then, on each retry after
/// `fetchRetryMs`, the next committee member in index order, skipping this
/// node. A crashed, partitioned or Byzantine first choice therefore costs one
/// retry interval per attempt, never liveness: within n attempts every member
/// has been asked, and more than two thirds of them are honest and hold every
/// certified block. Every choice is a pure function of the inputs, so a
/// simulator seed replays identically in any process.
///
/// Bounds: at most `fetchesMax` blocks are asked for at once; an entry leaves
/// when its block arrives or connects, or, once stale (unanswered past the
/// retry interval), when room is needed for a new one.
public struct BlockSync: Sendable {
    /// One request and its retries: who was asked first, how often, when last.
    /// The peer asked on each attempt follows from these (`peer(attempt:first:)`).
    struct Asking: Hashable, Sendable {
        let firstPeer: ValidatorIndex
        var attempt = 0
        var askedMs: UInt64

        /// Moves to the next attempt if the last one is `afterMs` old; false before.
        mutating func retry(nowMs: UInt64, afterMs: UInt64) -> Bool {
            guard nowMs >= askedMs + afterMs else { return false }
            attempt += 1
            askedMs = nowMs
            return true
        }
    }

    /// Finalized blocks asked of a peer by height.
    struct CatchUp: Hashable, Sendable {
        let fromHeight: Height
        var asking: Asking
    }

    let committeeSize: Int
    let me: ValidatorIndex?
    let fetchRetryMs: UInt64
    let fetchesMax: Int
    private(set) var fetches: [BlockID: Asking] = [:]
    private(set) var catchUp: CatchUp?

    init(committeeSize: Int, me: ValidatorIndex?, config: ConsensusConfig) {
        precondition(committeeSize > 0, "a committee has members")
        self.committeeSize = committeeSize
        self.me = me
        fetchRetryMs = config.fetchRetryMs
        fetchesMax = config.outstandingFetchesMax
    }

    var outstandingCount: Int { fetches.count }
    func isAsked(_ id: BlockID) -> Bool { fetches[id] != nil }

    /// The peer to ask for `id` now, or nil: asked less than `fetchRetryMs`
    /// ago, or `fetchesMax` requests already in flight.
    mutating func fetch(_ id: BlockID, hint: ValidatorIndex, nowMs: UInt64) -> ValidatorIndex? {
        if var asking = fetches[id] {
            guard asking.retry(nowMs: nowMs, afterMs: fetchRetryMs) else { return nil }
            fetches[id] = asking
            return peer(attempt: asking.attempt, first: asking.firstPeer)
        }
        if fetches.count >= fetchesMax { forgetStale(nowMs: nowMs) }
        guard fetches.count < fetchesMax else { return nil }
        fetches[id] = Asking(firstPeer: hint, askedMs: nowMs)
        precondition(fetches.count <= fetchesMax, "block sync outgrew its bound")
        return peer(attempt: 0, first: hint)
    }

    /// `id` arrived (fetched or proposed): no longer asked for. Returns
    /// whether it had been asked for.
    @discardableResult
    mutating func received(_ id: BlockID) -> Bool { fetches.removeValue(forKey: id) != nil }

    /// The peer to ask for finalized blocks from `fromHeight` on, or nil while
    /// the same batch is in flight and not yet overdue.
    mutating func catchUp(fromHeight: Height, hint: ValidatorIndex, nowMs: UInt64) -> ValidatorIndex? {
        if var inFlight = catchUp, inFlight.fromHeight == fromHeight {
            guard inFlight.asking.retry(nowMs: nowMs, afterMs: fetchRetryMs) else { return nil }
            catchUp = inFlight
            return catchUpPeer
        }
        catchUp = CatchUp(fromHeight: fromHeight, asking: Asking(firstPeer: hint, askedMs: nowMs))
        return peer(attempt: 0, first: hint)
    }

    /// The member the in-flight catch-up batch was last asked of.
    var catchUpPeer: ValidatorIndex? { catchUp.map { peer(attempt: $0.asking.attempt, first: $0.asking.firstPeer) } }

    /// A catch-up batch connected: the next one may be asked at once.
    mutating func catchUpAnswered() { catchUp = nil }

    /// Drops requests unanswered past the retry interval (their blocks may
    /// never come: pruned, or invented by a Byzantine proposer).
    mutating func forgetStale(nowMs: UInt64) {
        fetches = fetches.filter { $0.value.askedMs + fetchRetryMs > nowMs }
    }

    /// The member asked on `attempt`: the first choice, then the members after
    /// it in index order, wrapping around, never this node — so any n − 1
    /// consecutive attempts ask every other member once.
    func peer(attempt: Int, first: ValidatorIndex) -> ValidatorIndex {
        let n = committeeSize
        guard let me, n > 1 else { return ValidatorIndex((Int(first) % n + attempt % n) % n) }
        // Positions among the n − 1 others: index i sits at i, or i − 1 above me.
        let others = n - 1
        let firstIndex = Int(first) % n == Int(me) ? (Int(me) + 1) % n : Int(first) % n
        let start = firstIndex > Int(me) ? firstIndex - 1 : firstIndex
        let position = (start + attempt % others) % others
        let chosen = position >= Int(me) ? position + 1 : position
        precondition(chosen != Int(me) && chosen < n, "block sync asks only other members")
        return ValidatorIndex(chosen)
    }
}
