/// Leader reputation from committed history (LR-1 … LR-8 in docs/consensus.md):
/// the stake-weighted draw of DESIGN §2, with each member's stake multiplied
/// by its standing in a window of finalized blocks — so a member that
/// crashed, or never proposes, stops being elected within a window, and one
/// that is back earns its slot back as its failures leave the window.
///
/// Determinism (LR-2): `leader(of: v)` reads only the records of finalized
/// blocks up to the anchor of `v` — the last finalized block with view at
/// most `v − lagViews` — and the same SHA-256(seed ‖ view) draw every node
/// makes. Records are a function of the finalized chain, which is the same
/// on every honest node (safety), so two nodes that know the same anchor
/// elect the same leader. With every member active the weights are the
/// stakes times one constant, and the leader is exactly the stake draw's.
public struct ReputationElection: ProposerElection {
    public struct Config: Hashable, Sendable {
        /// LR-1: the history that elects view v ends `lagViews` views before
        /// it. At least 3: a vote for the block of view v goes to the leader
        /// of v+1, which its voters (who know the QC of v−1) and its
        /// collector (who also knows the QC of v) must agree on.
        public var lagViews: View = 5
        /// LR-3: the window holds this many finalized blocks per member,
        /// within [windowBlocksMin, windowBlocksMax].
        public var windowBlocksPerMember = 10
        public var windowBlocksMin = 20
        public var windowBlocksMax = 2_000
        /// LR-3: a member is inactive when neither its vote nor a proposal of
        /// its own is in the newest `activityBlocksPerMember × n` blocks
        /// (within [activityBlocksMin, window]): a QC needs only a quorum, so
        /// a live member may miss a few QCs, never this many.
        public var activityBlocksPerMember = 2
        public var activityBlocksMin = 8
        /// LR-8: an anchor more than this many views older than the view it
        /// would elect is stale: the chain has not been finalizing, and the
        /// stake draw elects instead, so a trap of failing leaders ends.
        public var staleAnchorViews: View = 20
        /// LR-4: each standing's multiplier of stake. An inactive member
        /// (absent from the newest blocks: down) is never drawn — each draw
        /// of a dead leader costs two views and two timeouts; a failing one
        /// (alive: it votes) rarely. A committee where no weight is left
        /// elects by stake (LR-6).
        public var activeWeight: UInt64 = 1_000
        public var inactiveWeight: UInt64 = 0
        public var failingWeight: UInt64 = 1

        public init() {}

        /// Why this configuration cannot work, or nil.
        public func problem() -> String? {
            guard (3...64).contains(lagViews) else { return "leader reputation: lag_views must be 3...64, not \(lagViews)" }
            guard windowBlocksMin >= 1, windowBlocksMax >= windowBlocksMin, windowBlocksPerMember >= 1 else {
                return "leader reputation: need 1 <= window_blocks_min <= window_blocks_max"
            }
            guard activityBlocksPerMember >= 1, activityBlocksMin >= 1 else { return "leader reputation: activity windows must be at least 1 block" }
            guard staleAnchorViews > lagViews else { return "leader reputation: stale_anchor_views must exceed lag_views" }
            guard activeWeight >= 1, activeWeight <= 1 << 14, inactiveWeight <= activeWeight, failingWeight <= activeWeight else {
                return "leader reputation: the active weight must be 1...16384, inactive and failing at most active"
            }
            return nil
        }

        public func windowBlocks(members: Int) -> Int {
            min(max(windowBlocksPerMember * members, windowBlocksMin), windowBlocksMax)
        }

        public func activityBlocks(members: Int) -> Int {
            min(max(activityBlocksPerMember * members, activityBlocksMin), windowBlocks(members: members))
        }
    }

    /// The weights in force from one finalized block on (as an anchor).
    struct Anchor: Sendable {
        let height: Height
        let view: View
        /// Nil when every member with stake is active: the stake draw itself
        /// (LR-4; a constant multiplier would draw differently through the modulo).
        let cumulative: [UInt64]?
    }

    let committee: Committee
    public let config: Config
    let windowBlocks: Int
    let activityBlocks: Int
    /// The window: the last `windowBlocks` records, oldest first.
    private(set) var records: [LeaderRecord] = []
    /// Per member, over the window: blocks proposed, views failed (LR-5), QCs signed.
    private var proposed: [Int]
    private var failed: [Int]
    private var voted: [Int]
    /// Per member: votes and proposals in the newest `activityBlocks` records.
    private var recentActivity: [Int]
    /// Per member: the height of its newest leader slot in the window, and
    /// whether that slot failed (LR-3: the newest slot decides).
    private var lastSlot: [(height: Height, failed: Bool)?]
    /// The weights after each of the last `lagViews + 2` records: enough for
    /// every view above the finalized block (LR-1; see `leader(of:)`).
    private var anchors: [Anchor] = []
    /// The view of the newest anchor dropped, 0 if none was.
    private var droppedThroughView: View = 0

    public init(committee: Committee, config: Config) {
        precondition(config.problem() == nil, config.problem() ?? "")
        self.committee = committee
        self.config = config
        windowBlocks = config.windowBlocks(members: committee.count)
        activityBlocks = config.activityBlocks(members: committee.count)
        proposed = Array(repeating: 0, count: committee.count)
        failed = proposed
        voted = proposed
        recentActivity = proposed
        lastSlot = Array(repeating: nil, count: committee.count)
    }

    /// LR-1: the anchor's weights, drawn with the view's SHA-256(seed ‖ view).
    /// Before the epoch's first anchor (no history yet), and from a stale one
    /// (LR-8), the stake draw.
    public func leader(of view: View) -> ValidatorIndex {
        guard let cumulative = anchorWeights(of: view)?.cumulative else { return committee.stakeLeader(of: view) }
        return ValidatorIndex(Committee.position(of: committee.draw(view), in: cumulative))
    }

    public func anchor(of view: View) -> (height: Height, view: View)? {
        anchorWeights(of: view).map { ($0.height, $0.view) }
    }

    /// The newest anchor with view <= v − lag. Only views above the finalized
    /// block are ever asked for, and their anchors are among the last
    /// `lagViews` records (each has its own view); an older view whose
    /// anchor was dropped gets the oldest one kept.
    private func anchorWeights(of view: View) -> Anchor? {
        guard view > config.lagViews else { return nil }
        let limit = view - config.lagViews
        let found = anchors.last(where: { $0.view <= limit })
            ?? (limit >= droppedThroughView && droppedThroughView > 0 ? anchors.first : nil)
        guard let anchor = found, view - anchor.view <= config.staleAnchorViews else { return nil }  // LR-8
        return anchor
    }

    /// LR-1: records arrive in chain order; one at or below the last known
    /// height (a restart replaying what it restored) is ignored.
    public mutating func learn(_ record: LeaderRecord) {
        guard record.height > (records.last?.height ?? 0) else { return }
        count(record, by: 1)
        countActivity(record, by: 1)
        for (member, failed) in slots(of: record) { lastSlot[member] = (record.height, failed) }
        records.append(record)
        if records.count > activityBlocks { countActivity(records[records.count - activityBlocks - 1], by: -1) }
        if records.count > windowBlocks {
            let leaving = records.removeFirst()
            count(leaving, by: -1)
            // Records leave oldest first: a member whose newest slot leaves has none left.
            for (member, _) in slots(of: leaving) where lastSlot[member]?.height == leaving.height { lastSlot[member] = nil }
        }
        anchors.append(Anchor(height: record.height, view: record.view, cumulative: cumulativeWeights()))
        if anchors.count > Int(config.lagViews) + 2 { droppedThroughView = anchors.removeFirst().view }
    }

    private mutating func count(_ record: LeaderRecord, by step: Int) {
        let n = committee.count
        if Int(record.proposer) < n { proposed[Int(record.proposer)] += step }
        for leader in record.failedLeaders where Int(leader) < n { failed[Int(leader)] += step }
        for voter in record.voters where Int(voter) < n { voted[Int(voter)] += step }
    }

    private mutating func countActivity(_ record: LeaderRecord, by step: Int) {
        let n = committee.count
        if Int(record.proposer) < n { recentActivity[Int(record.proposer)] += step }
        for voter in record.voters where Int(voter) < n { recentActivity[Int(voter)] += step }
    }

    /// The leader slots a record shows: its proposer's (a success) and the
    /// blamed leaders' (failures), within the committee.
    private func slots(of record: LeaderRecord) -> [(Int, Bool)] {
        let n = committee.count
        return (record.failedLeaders.map { (Int($0), true) } + [(Int(record.proposer), false)]).filter { $0.0 < n }
    }

    /// LR-3: inactive when nothing of it is in the newest `activityBlocks`
    /// (once the epoch has that many: before, absence proves nothing);
    /// else failing when its newest leader slot in the window failed.
    func standing(of member: Int) -> LeaderStanding.Kind {
        if recentActivity[member] == 0, records.count >= activityBlocks { return .inactive }
        return lastSlot[member]?.failed == true ? .failing : .active
    }

    /// LR-4: stake × the standing's multiplier, cumulative (stake below 2^48,
    /// multipliers at most 2^14: no overflow). Nil — the stake draw — when
    /// everyone with stake is active, or when no weight is left (LR-6).
    private func cumulativeWeights() -> [UInt64]? {
        let stakeholders = (0..<committee.count).filter { committee.weight(of: ValidatorIndex($0)) > 0 }
        if stakeholders.allSatisfy({ standing(of: $0) == .active }) { return nil }
        var total: UInt64 = 0
        let cumulative = (0..<committee.count).map { member in
            let multiplier = switch standing(of: member) {
            case .active: config.activeWeight
            case .failing: config.failingWeight
            case .inactive: config.inactiveWeight
            }
            total += committee.weight(of: ValidatorIndex(member)) * multiplier
            return total
        }
        return total > 0 ? cumulative : nil
    }

    public var standings: [LeaderStanding] {
        (0..<committee.count).map {
            LeaderStanding(member: ValidatorIndex($0), kind: standing(of: $0), proposed: proposed[$0], failed: failed[$0],
                           voted: voted[$0])
        }
    }
}
