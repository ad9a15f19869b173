import BatonCrypto
import Consensus
import Governance

/// What this node takes in, as a value the node owns: the mempool, the
/// window of recently committed transactions, and the rules that screen a
/// transaction before the app's `check_tx` and admit it after.
///
/// The node's actor keeps what is not state here: the quorum check, the side
/// lane that runs `check_tx`, gossip, waking a leader. This value decides,
/// the same way for clients and peers, and is tested alone (`AdmissionTests`).
///
/// Invariants: a transaction is in the mempool at most once; one committed
/// within the window is refused as committed, before and after `check_tx`
/// (it may commit while being judged); a host transaction is judged by the
/// host (`hostProblem`), never by the app.
struct Admission: Sendable {
    var mempool: Mempool
    var recentlyCommitted: RecentlyCommitted

    init(limits: Mempool.Limits) {
        mempool = Mempool(limits: limits)
        recentlyCommitted = RecentlyCommitted(lifetimeMs: limits.lifetimeMs)
    }

    /// Before `check_tx`: a final answer, or "judge it".
    enum Screened: Sendable {
        case decided(ConsensusNode.Submission)
        case judge(Bytes32)
    }

    /// What a screen or an admission did: the answers in order, the
    /// transactions to gossip, and whether the mempool went from empty to not
    /// (a leader waiting on an empty one is woken).
    struct Taken<Answer> {
        var answers: [Answer]
        var toGossip: [[UInt8]] = []
        var filled = false
    }

    /// Screens `transactions`: size, duplicates, recently committed; host
    /// transactions are judged here completely and added at once.
    mutating func screen(_ transactions: [[UInt8]], nowMs: UInt64, finalizedHeight: Height,
                         hostProblem: ([UInt8]) -> String?) -> Taken<Screened> {
        var taken = Taken<Screened>(answers: [])
        for transaction in transactions {
            guard transaction.count <= WireLimits.standard.transactionBytesMax else {
                taken.answers.append(.decided(.rejected(
                    "transaction of \(transaction.count) bytes exceeds \(WireLimits.standard.transactionBytesMax)")))
                continue
            }
            let hash = SHA256Digest.hash(transaction)
            if mempool.contains(hash) { taken.answers.append(.decided(.duplicate(hash))); continue }
            if let height = recentlyCommitted.height(of: hash) {
                taken.answers.append(.decided(.alreadyCommitted(hash, height: height)))
                continue
            }
            guard HostTransaction.isHostTransaction(transaction) else { taken.answers.append(.judge(hash)); continue }
            if let problem = hostProblem(transaction) { taken.answers.append(.decided(.rejected(problem))); continue }
            let added = add(transaction, hash: hash, nowMs: nowMs, finalizedHeight: finalizedHeight, into: &taken)
            taken.answers.append(.decided(added))
        }
        return taken
    }

    /// After `check_tx`: the accepted ones go into the mempool (a duplicate
    /// may have arrived, or the transaction committed, meanwhile).
    mutating func admit(_ judged: [([UInt8], Bytes32, PluginSideLane.Verdict)], nowMs: UInt64,
                        finalizedHeight: Height) -> Taken<ConsensusNode.Submission> {
        var taken = Taken<ConsensusNode.Submission>(answers: [])
        for (transaction, hash, verdict) in judged {
            switch verdict {
            case .reject(let reason): taken.answers.append(.rejected(reason))
            case .failed(let reason): taken.answers.append(.failed(reason))
            case .overBudget(let reason): taken.answers.append(.unavailable(reason))
            case .accept:
                if let height = recentlyCommitted.height(of: hash) {
                    taken.answers.append(.alreadyCommitted(hash, height: height))
                } else {
                    taken.answers.append(add(transaction, hash: hash, nowMs: nowMs, finalizedHeight: finalizedHeight, into: &taken))
                }
            }
        }
        return taken
    }

    /// A committed block's transactions leave the mempool and are refused
    /// within the window from now on. Returns their admission times (nil:
    /// not admitted here).
    mutating func committed(_ hashes: [Bytes32], height: Height, nowMs: UInt64) -> [UInt64?] {
        let admitted = mempool.remove(hashes)
        recentlyCommitted.record(hashes, height: height, nowMs: nowMs)
        return admitted
    }

    private mutating func add<Answer>(_ transaction: [UInt8], hash: Bytes32, nowMs: UInt64, finalizedHeight: Height,
                                      into taken: inout Taken<Answer>) -> ConsensusNode.Submission {
        let wasEmpty = mempool.count == 0
        switch mempool.add(transaction, hash: hash, nowMs: nowMs, finalizedHeight: finalizedHeight,
                           host: HostTransaction.isHostTransaction(transaction)) {
        case .added(let hash):
            taken.toGossip.append(transaction)
            if wasEmpty { taken.filled = true }
            return .accepted(hash)
        case .duplicate(let hash): return .duplicate(hash)
        case .full: return .full
        }
    }
}
