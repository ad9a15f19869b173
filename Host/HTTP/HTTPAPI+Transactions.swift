import BatonAPI
import Consensus
import Hummingbird
import Node

extension HTTPAPI {
    /// Submitting transactions: one (`POST /v1/tx`) or a batch (`POST /v1/txs`).
    static func addTransactionRoutes(to router: Router<BasicRequestContext>, node: ConsensusNode) {
        router.post("/v1/tx") { request, _ -> Response in
            let body = try await request.body.collect(upTo: WireLimits.standard.transactionBytesMax + 1)
            let bytes = Array(buffer: body)
            guard !bytes.isEmpty else { return json(.badRequest, ["error": "empty transaction: send it as the request body"]) }
            switch await node.submit(bytes) {
            case .accepted(let hash): return json(.accepted, FlatJSON(["accepted": .bool(true), "hash": .string(hash.hex)]))
            case .duplicate(let hash):
                return json(.ok, FlatJSON(["accepted": .bool(true), "duplicate": .bool(true), "hash": .string(hash.hex)]))
            case .rejected(let reason): return json(.badRequest, FlatJSON(["error": .string(reason)]))
            case .alreadyCommitted(let hash, let height):
                return json(.conflict, FlatJSON(["error": .string("transaction \(hash.hex) was committed at height \(height); a transaction is committed once (make it unique, e.g. with a nonce, to do it again)"),
                                                 "hash": .string(hash.hex), "height": .int(Int(height))]))
            case .failed(let reason): return json(.internalServerError, FlatJSON(["error": .string(reason)]))
            case .full: return json(.serviceUnavailable, ["error": "mempool full; retry later"])
            case .unavailable(let reason): return json(.serviceUnavailable, FlatJSON(["error": .string(reason)]))
            case .noQuorum(let connected, let total): return noQuorum(connected, total)
            }
        }
        router.post("/v1/txs") { request, _ -> Response in
            let body = try await request.body.collect(upTo: Self.batchBytesMax + 1)
            guard body.readableBytes <= Self.batchBytesMax else {
                return json(.contentTooLarge, ["error": "batch over \(Self.batchBytesMax) bytes; split it"])
            }
            let transactions: [[UInt8]]
            switch Self.decodeBatch(Array(buffer: body)) {
            case .success(let decoded): transactions = decoded
            case .failure(let error): return json(.badRequest, ["error": error.description])
            }
            let result = await node.submit(batch: transactions)
            if case .noQuorum(let connected, let total) = result.noQuorum { return noQuorum(connected, total) }
            var answer = FlatJSON(["accepted": .int(result.accepted), "duplicates": .int(result.duplicates),
                                   "rejected": .int(result.rejected), "committed": .int(result.committed),
                                   "failed": .int(result.failed), "full": .int(result.full),
                                   "unavailable": .int(result.unavailable)])
            if let reason = result.firstRejection { answer.add("firstRejection", .string(reason)) }
            if let reason = result.unavailableReason { answer.add("unavailableReason", .string(reason)) }
            let refused = result.full + result.unavailable
            return json(refused > 0 && result.accepted == 0 ? .serviceUnavailable : .ok, answer)
        }
    }

    /// What a node cut off from a quorum answers instead of 202.
    static func noQuorum(_ connected: UInt64, _ total: UInt64) -> Response {
        json(.serviceUnavailable, NoQuorumError(
            error: "not accepted: this node reaches members holding \(connected) of \(total) voting weight, and more than two thirds are needed to finalize anything; retry later or send it to another node",
            reachableWeight: connected, totalWeight: total))
    }

    /// `POST /v1/txs` bounds: at most this many bytes and transactions a request.
    public static let batchBytesMax = 8 * 1024 * 1024
    public static let batchTransactionsMax = 4_096

    public struct BatchError: Error, CustomStringConvertible, Sendable { public let description: String }

    /// The batch body: transactions one after another, each a u32 big-endian
    /// length then its bytes.
    public static func decodeBatch(_ bytes: [UInt8]) -> Result<[[UInt8]], BatchError> {
        var transactions: [[UInt8]] = []
        var at = 0
        while at < bytes.count {
            guard bytes.count - at >= 4 else { return .failure(BatchError(description: "truncated length at byte \(at)")) }
            let length = Int(bytes[at]) << 24 | Int(bytes[at + 1]) << 16 | Int(bytes[at + 2]) << 8 | Int(bytes[at + 3])
            at += 4
            guard length > 0, length <= WireLimits.standard.transactionBytesMax else {
                return .failure(BatchError(description: "transaction \(transactions.count) has length \(length); 1…\(WireLimits.standard.transactionBytesMax)"))
            }
            guard bytes.count - at >= length else { return .failure(BatchError(description: "transaction \(transactions.count) is truncated")) }
            transactions.append(Array(bytes[at..<at + length]))
            at += length
            guard transactions.count <= batchTransactionsMax else {
                return .failure(BatchError(description: "more than \(batchTransactionsMax) transactions; split the batch"))
            }
        }
        guard !transactions.isEmpty else { return .failure(BatchError(description: "empty batch")) }
        return .success(transactions)
    }

    /// The inverse of `decodeBatch`, for clients.
    public static func encodeBatch(_ transactions: [[UInt8]]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(transactions.reduce(0) { $0 + 4 + $1.count })
        for tx in transactions {
            let n = UInt32(tx.count)
            out += [UInt8(n >> 24), UInt8(n >> 16 & 0xFF), UInt8(n >> 8 & 0xFF), UInt8(n & 0xFF)]
            out += tx
        }
        return out
    }
}
