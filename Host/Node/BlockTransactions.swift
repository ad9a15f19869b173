#if canImport(Glibc)
import Glibc
#endif
import BatonCrypto
import PluginHost

/// Which mempool transactions a block carries, as the host establishes it —
/// never as a proposer lists it: a Byzantine proposer could otherwise list
/// hashes of pending transactions it does not carry and make every honest
/// mempool drop them (and refuse them as committed).
///
/// - An ABI 1.2 app answers `block_transactions`: the transactions, exactly
///   as submitted; the host hashes them. A proposal whose list differs is
///   invalid (no vote).
/// - An older app cannot say. The host then acts only on listed hashes of
///   transactions it holds whose bytes occur verbatim in the payload, and a
///   proposal listing a held transaction its payload does not contain is
///   invalid. Listed hashes the node does not hold are ignored.
enum BlockTransactions {
    /// The hashes `payload` carries according to the app, or nil if it cannot tell.
    /// `expected` and `mempool`: see `hashes(of:expected:mempool:)`.
    static func derived(_ payload: [UInt8], app: any Application, expected: [Bytes32] = [],
                        mempool: Mempool? = nil) throws(ApplicationError) -> [Bytes32]? {
        if payload.isEmpty { return [] }  // an idle block carries nothing
        return try app.blockTransactions(payload).map { hashes(of: $0, expected: expected, mempool: mempool) }
    }

    /// SHA-256 of each transaction, computed only for those this node does not
    /// hold already: the i-th transaction whose bytes equal, byte for byte,
    /// the mempool's copy of `expected[i]` has that hash — the mempool keys
    /// every transaction by the hash this node computed of those very bytes at
    /// admission. So a proposal's list is still checked against hashes this
    /// node made, never against what the proposer wrote; a transaction is
    /// hashed once per node, not again at every proposal and commit.
    static func hashes(of transactions: [[UInt8]], expected: [Bytes32], mempool: Mempool?) -> [Bytes32] {
        guard let mempool, !expected.isEmpty else { return transactions.map { SHA256Digest.hash($0) } }
        var out: [Bytes32] = []
        out.reserveCapacity(transactions.count)
        for (i, transaction) in transactions.enumerated() {
            if i < expected.count, let held = mempool.transaction(expected[i]), held == transaction {
                out.append(expected[i])
            } else {
                out.append(SHA256Digest.hash(transaction))
            }
        }
        return out
    }

    /// Fallback: the listed hashes this node can check, in list order.
    static func verified(_ listed: [Bytes32], payload: [UInt8], mempool: Mempool) -> [Bytes32] {
        listed.filter { hash in mempool.transaction(hash).map { contains(payload, $0) } ?? false }
    }

    /// Fallback's refusal: a listed transaction this node holds that the payload does not contain.
    static func missing(_ listed: [Bytes32], payload: [UInt8], mempool: Mempool) -> Bytes32? {
        listed.first { hash in mempool.transaction(hash).map { !contains(payload, $0) } ?? false }
    }

    /// Whether `needle` occurs in `haystack` byte for byte.
    static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard !needle.isEmpty else { return true }
        guard needle.count <= haystack.count else { return false }
        let first = needle[0]
        return haystack.withUnsafeBufferPointer { h in
            needle.withUnsafeBufferPointer { n in
                var i = 0
                while i <= h.count - n.count {
                    if h[i] == first, memcmp(h.baseAddress! + i, n.baseAddress!, n.count) == 0 { return true }
                    i += 1
                }
                return false
            }
        }
    }
}
