import BatonCrypto
import Consensus

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
        /// Not taken: this node is not connected to members holding a quorum
        /// of weight, so nothing it accepts could be finalized now (and a
        /// 202 from a cut-off node was lost with it).
        case noQuorum(connectedWeight: UInt64, totalWeight: UInt64)
    }

    /// Counts of a batch submission's outcomes.
    public struct BatchSubmission: Sendable {
        public var accepted = 0, duplicates = 0, rejected = 0, committed = 0, failed = 0, full = 0
        public var firstRejection: String?
        /// Set when nothing was taken because no quorum is connected.
        public var noQuorum: Submission?
    }

    /// The voting weight this node reaches: its own and its connected
    /// members'. Below a quorum nothing can be finalized, so nothing is
    /// accepted (what 202 promises: see the README, HTTP API).
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
    public func submit(_ transaction: [UInt8]) -> Submission {
        if let refusal = quorumUnreachable() { return refusal }
        let result = admit(transaction, now: clock.nowMs())
        if case .accepted = result { transport.broadcast(.transactions(TransactionBatch([transaction]))) }
        return result
    }

    /// Admits many transactions in one actor call and gossips the accepted
    /// ones (`POST /v1/txs`: load generators, bridges).
    public func submit(batch transactions: [[UInt8]]) -> BatchSubmission {
        var result = BatchSubmission()
        if let refusal = quorumUnreachable() {
            result.noQuorum = refusal
            return result
        }
        var accepted: [[UInt8]] = []
        let now = clock.nowMs()
        for transaction in transactions {
            switch admit(transaction, now: now) {
            case .accepted:
                result.accepted += 1
                accepted.append(transaction)
            case .duplicate: result.duplicates += 1
            case .rejected(let reason):
                result.rejected += 1
                if result.firstRejection == nil { result.firstRejection = reason }
            case .alreadyCommitted: result.committed += 1
            case .failed(let reason):
                result.failed += 1
                if result.firstRejection == nil { result.firstRejection = reason }
            case .full: result.full += 1
            case .noQuorum: break  // checked once, above
            }
        }
        // Peers admit at most one proposal's worth from a gossip message: send
        // chunks of that size so none is dropped.
        let chunk = max(1, mempool.limits.batchTransactionsMax)
        for start in stride(from: 0, to: accepted.count, by: chunk) {
            let part = Array(accepted[start..<min(start + chunk, accepted.count)])
            transport.broadcast(.transactions(TransactionBatch(part)))
        }
        return result
    }

    /// Why a host transaction submission is not taken, or nil: malformed,
    /// not a member's valid signature for this chain, or a replay or late
    /// approval the committed schedule would ignore.
    func hostAdmissionProblem(_ bytes: [UInt8]) -> String? {
        let transaction: HostTransaction
        do { transaction = try HostTransaction(submission: bytes) } catch { return "malformed host transaction: \(error)" }
        if let problem = transaction.problem(chainID: committee.chainID, committee: committee, verifier: hostVerifier) {
            return problem
        }
        if transaction.changesCommittee { return committeeAdmissionProblem(transaction) }
        return upgrades.admissionProblem(transaction, height: status.finalizedHeight)
    }

    /// Test-only: admits without gossip, so one mempool alone holds it.
    @_spi(Testing) public func admitLocally(_ transaction: [UInt8]) -> Submission {
        admit(transaction, now: clock.nowMs())
    }

    func admit(_ transaction: [UInt8], now: UInt64) -> Submission {
        guard transaction.count <= WireLimits.standard.transactionBytesMax else {
            return .rejected("transaction of \(transaction.count) bytes exceeds \(WireLimits.standard.transactionBytesMax)")
        }
        let hash = SHA256Digest.hash(transaction)
        if mempool.contains(hash) { return .duplicate(hash) }
        if let height = recentlyCommitted.height(of: hash) { return .alreadyCommitted(hash, height: height) }
        if HostTransaction.isHostTransaction(transaction) {
            // Host-level (an upgrade plan or approval): judged by the host, never by the app.
            if let problem = hostAdmissionProblem(transaction) { return .rejected(problem) }
        } else {
            do {
                if case .reject(let reason) = try app.checkTransaction(transaction) { return .rejected(reason) }
            } catch {
                logger.error("check_tx failed", metadata: ["plugin": "\(app.info.name)", "error": "\(error)"])
                return .failed("check_tx failed in plugin \(app.info.name): \(error)")
            }
        }
        let wasEmpty = mempool.count == 0
        switch mempool.add(transaction, hash: hash, nowMs: now, finalizedHeight: status.finalizedHeight,
                           host: HostTransaction.isHostTransaction(transaction)) {
        case .added(let hash):
            // A leader with an empty mempool waits for the idle interval; wake it.
            if wasEmpty { inputs.mempoolFilled() }
            return .accepted(hash)
        case .duplicate(let hash): return .duplicate(hash)
        case .full: return .full
        }
    }
}
