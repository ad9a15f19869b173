import BatonCrypto
import Consensus
import Governance

/// Clients' transactions: admitted through the app's `check_tx` into the
/// mempool, then gossiped so the next leaders have them. The core learns of
/// a filled mempool through the input queue, never from here directly.
extension ConsensusNode {
    public enum Submission: Sendable, Hashable {
        case accepted(Bytes32)
        case duplicate(Bytes32)
        /// The app refused it (`check_tx` answered REJECT): the client's mistake.
        case rejected(String)
        /// Committed at `height` within the filter's window (`RecentlyCommitted`).
        case alreadyCommitted(Bytes32, height: Height)
        /// `check_tx` failed (an error, not a verdict): the plugin's fault.
        case failed(String)
        case full
        /// Not judged now: the plugin's check_tx overran its budget (on this
        /// transaction or one before it), or its side queue is full (HTTP 503,
        /// with the reason). A transaction whose check_tx passes late is
        /// neither admitted nor gossiped.
        case unavailable(String)
        /// Not taken: this node is not connected to members holding a quorum
        /// of weight, so nothing it accepts could be finalized now (and a
        /// 202 from a cut-off node was lost with it).
        case noQuorum(connectedWeight: UInt64, totalWeight: UInt64)
    }

    /// Counts of a batch submission's outcomes.
    public struct BatchSubmission: Sendable {
        public var accepted = 0, duplicates = 0, rejected = 0, committed = 0, failed = 0, full = 0, unavailable = 0
        public var firstRejection: String?
        /// Why some were `unavailable` (the first reason).
        public var unavailableReason: String?
        /// Set when nothing was taken because no quorum is connected.
        public var noQuorum: Submission?
    }

    /// The voting weight this node reaches: its own and its connected
    /// members'. Below a quorum nothing can be finalized, so nothing is
    /// accepted (what 202 promises: see the docs/operations.md, "The HTTP API").
    func reachableWeight() -> UInt64 {
        let own = memberIndex.map { committee.weight(of: $0) } ?? 0
        return transport.connectedPeers.reduce(own) { sum, key in
            sum + (committee.index(of: key).map { committee.weight(of: $0) } ?? 0)
        }
    }

    func quorumUnreachable() -> Submission? {
        let weight = reachableWeight()
        return committee.isQuorum(weight) ? nil : .noQuorum(connectedWeight: weight, totalWeight: committee.totalWeight)
    }

    /// A transaction from a client, forwarded to every peer once admitted.
    ///
    /// Its `check_tx` runs on the side lane, never on the consensus loop: the
    /// actor screens it (quorum, size, duplicate, recently committed), the
    /// lane judges it, the actor admits and gossips it.
    public nonisolated func submit(_ transaction: [UInt8]) async -> Submission {
        let (submissions, noQuorum) = await admitFromClient([transaction], gossip: true)
        return noQuorum ?? submissions.first ?? .full
    }

    /// Admits many transactions with one side-lane job and two actor hops,
    /// and gossips the accepted ones (`POST /v1/txs`: load generators, bridges).
    public nonisolated func submit(batch transactions: [[UInt8]]) async -> BatchSubmission {
        let (submissions, noQuorum) = await admitFromClient(transactions, gossip: true)
        var result = BatchSubmission()
        result.noQuorum = noQuorum
        for submission in submissions {
            switch submission {
            case .accepted: result.accepted += 1
            case .duplicate: result.duplicates += 1
            case .rejected(let reason):
                result.rejected += 1
                if result.firstRejection == nil { result.firstRejection = reason }
            case .alreadyCommitted: result.committed += 1
            case .failed(let reason):
                result.failed += 1
                if result.firstRejection == nil { result.firstRejection = reason }
            case .full: result.full += 1
            case .unavailable(let reason):
                result.unavailable += 1
                if result.unavailableReason == nil { result.unavailableReason = reason }
            case .noQuorum: break  // checked once, in the screen
            }
        }
        return result
    }

    /// Test-only: admits without gossip, so one mempool alone holds it.
    @_spi(Testing) public nonisolated func admitLocally(_ transaction: [UInt8]) async -> Submission {
        await admitFromClient([transaction], gossip: false, needsQuorum: false).submissions.first ?? .full
    }

    /// The client path: screen on the actor, judge on the side, admit on the actor.
    nonisolated func admitFromClient(_ transactions: [[UInt8]], gossip: Bool, needsQuorum: Bool = true) async
        -> (submissions: [Submission], noQuorum: Submission?)
    {
        let screened: [Admission.Screened]
        switch await screen(transactions, needsQuorum: needsQuorum) {
        case .failure(let refusal): return ([], refusal.submission)
        case .success(let list): screened = list
        }
        let toJudge = screened.indices.filter { if case .judge = screened[$0] { true } else { false } }
        var verdicts: [PluginSideLane.Verdict] = []
        if !toJudge.isEmpty {
            switch await sideLane.check(toJudge.map { transactions[$0] }) {
            case .done(let list): verdicts = list
            case .busy(let reason): verdicts = Array(repeating: .overBudget(reason), count: toJudge.count)
            case .overBudget(let overrun):
                verdicts = Array(repeating: .overBudget("not admitted: \(overrun.text)"), count: toJudge.count)
            }
        }
        var judged: [(index: Int, hash: Bytes32, verdict: PluginSideLane.Verdict)] = []
        for (position, index) in toJudge.enumerated() {
            guard case .judge(let hash) = screened[index] else { continue }
            judged.append((index, hash, position < verdicts.count ? verdicts[position] : .overBudget("not judged")))
        }
        // All decided in the screen (duplicates, say): no second hop.
        let admitted = judged.isEmpty ? [] : await admitJudged(judged.map { (transactions[$0.index], $0.hash, $0.verdict) }, gossip: gossip)
        var submissions = screened.map { screen -> Submission in
            if case .decided(let submission) = screen { return submission }
            return .full  // replaced below
        }
        for (entry, submission) in zip(judged, admitted) { submissions[entry.index] = submission }
        return (submissions, nil)
    }

    /// The actor's half before `check_tx` (`Admission.screen`). Host
    /// transactions are judged here completely (by the host, never by the
    /// app), admitted and gossiped at once.
    func screen(_ transactions: [[UInt8]], needsQuorum: Bool) -> Result<[Admission.Screened], NoQuorum> {
        if needsQuorum, let refusal = quorumUnreachable() { return .failure(NoQuorum(submission: refusal)) }
        let taken = admission.screen(transactions, nowMs: clock.nowMs(), finalizedHeight: status.finalizedHeight) {
            hostAdmissionProblem($0)
        }
        took(taken, gossip: true)
        return .success(taken.answers)
    }

    /// The quorum refusal, as an `Error` for `Result`.
    struct NoQuorum: Error { let submission: Submission }

    /// The actor's half after `check_tx`: the accepted ones go into the
    /// mempool (a duplicate may have arrived meanwhile) and out to the peers.
    func admitJudged(_ judged: [([UInt8], Bytes32, PluginSideLane.Verdict)], gossip: Bool) -> [Submission] {
        let taken = admission.admit(judged, nowMs: clock.nowMs(), finalizedHeight: status.finalizedHeight)
        took(taken, gossip: gossip)
        return taken.answers
    }

    /// What the node does with what admission took: wakes a leader waiting
    /// on an empty mempool, and gossips what it added.
    private func took<Answer>(_ taken: Admission.Taken<Answer>, gossip: Bool) {
        if taken.filled { inputs.mempoolFilled() }
        if gossip, !taken.toGossip.isEmpty { broadcast(taken.toGossip) }
    }

    /// Gossip in chunks of one proposal's worth: peers admit at most that
    /// many from one message, so none is dropped.
    func broadcast(_ transactions: [[UInt8]]) {
        let chunk = max(1, mempool.limits.batchTransactionsMax)
        for start in stride(from: 0, to: transactions.count, by: chunk) {
            let part = Array(transactions[start..<min(start + chunk, transactions.count)])
            transport.broadcast(.transactions(TransactionBatch(part)))
        }
    }

    /// A peer's gossip, on the loop: screened here, judged on the side lane
    /// (at most `PluginSideLane.Limits.perPeerMax` batches a peer at once),
    /// admitted on the actor later. Not forwarded again. One slow input
    /// costs this node one slow call on the side, never a view.
    func admitGossip(_ transactions: some Collection<[UInt8]>, from peer: PublicKey) {
        guard case .success(let screened) = screen(Array(transactions), needsQuorum: false) else { return }
        var toJudge: [([UInt8], Bytes32)] = []
        for (transaction, screen) in zip(transactions, screened) {
            if case .judge(let hash) = screen { toJudge.append((transaction, hash)) }
        }
        guard !toJudge.isEmpty else { return }
        let node = self
        let pairs = toJudge
        let taken = sideLane.checkGossip(pairs.map(\.0), from: peer.hex) { verdicts in
            let judged = zip(pairs, verdicts).map { ($0.0, $0.1, $1) }
            // Immediate: from the side lane's thread straight to the node's
            // executor, not by way of a pool thread (one wake-up less a batch).
            Task.immediate { _ = await node.admitJudged(judged, gossip: false) }
        }
        if !taken {
            logger.debug("gossip not checked: the peer's side-lane bound is reached", metadata: ["peer": "\(peer)"])
        }
    }

}
