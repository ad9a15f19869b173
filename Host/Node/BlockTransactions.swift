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
    static func derived(_ payload: [UInt8], app: any Application) throws(ApplicationError) -> [Bytes32]? {
        if payload.isEmpty { return [] }  // an idle block carries nothing
        return try app.blockTransactions(payload)?.map { SHA256Digest.hash($0) }
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
