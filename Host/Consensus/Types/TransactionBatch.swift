import BatonCrypto

/// Transactions forwarded between mempools.
public struct TransactionBatch: Hashable, Sendable, WireCodable {
    public let transactions: [[UInt8]]

    public init(_ transactions: [[UInt8]]) { self.transactions = transactions }

    public func encode(to w: inout WireWriter) {
        w.u16(UInt16(transactions.count))
        for tx in transactions { w.blob(tx) }
    }

    public init(from r: inout WireReader) throws(WireDecodingError) {
        let count = try r.count("transactions", max: r.limits.transactionsMax, minElementBytes: 4)
        var txs: [[UInt8]] = []
        txs.reserveCapacity(count)
        for _ in 0..<count { txs.append(try r.blob("transactions.tx", max: r.limits.transactionBytesMax)) }
        transactions = txs
    }
}
