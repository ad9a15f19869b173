import BatonCrypto

/// What one load-generating client sends next: a closed loop keeps at most
/// `window` transactions outstanding; an open loop (`rate`) earns credit at a
/// fixed number of transactions per second. Transactions are unique
/// `key=value` pairs (the kvstore accepts them), padded to `txBytes`: each a
/// new key, or with a `keySpace` the client's keys cycle through that many
/// (the app state stays bounded, so a store's size can be flat).
struct LoadShape {
    enum Step {
        /// Nothing to send yet: wait this many milliseconds.
        case wait(Int)
        case send([[UInt8]], hashes: [Bytes32])
    }

    let client: Int
    let tag: String
    let requestSize: Int
    let window: Int
    let rate: Int?
    let txBytes: Int
    let keySpace: Int?
    private var sequence = 0
    private var credit = 0.0
    private var last = ContinuousClock.now

    init(client: Int, tag: String, requestSize: Int, window: Int, rate: Int?, txBytes: Int, keySpace: Int? = nil) {
        self.keySpace = keySpace
        self.client = client
        self.tag = tag
        self.requestSize = requestSize
        self.window = window
        self.rate = rate
        self.txBytes = txBytes
    }

    /// `outstanding`: transactions submitted (by every client) and not yet seen committed.
    mutating func next(outstanding: Int) -> Step {
        var count: Int
        if let rate {
            let now = ContinuousClock.now
            let elapsed = now - last
            credit += Double(rate) * (Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
            last = now
            count = min(requestSize, Int(credit))
            if count == 0 { return .wait(5) }
            credit -= Double(count)
        } else {
            // Wait for room: for at least half a request (and never send an
            // empty one — with a window of 4 and requests of 1, that once
            // tripled node 0's HTTP load with refused empty batches).
            count = min(requestSize, window - outstanding)
            if count <= 0 || count < min(requestSize, window) / 2 { return .wait(1) }
        }
        var transactions: [[UInt8]] = []
        transactions.reserveCapacity(count)
        for _ in 0..<count {
            var tx = Array((keySpace.map { "c\(client)\(tag)k\(sequence % $0)=\(sequence)" } ?? "c\(client)\(tag)n\(sequence)=").utf8)
            sequence += 1
            tx += [UInt8](repeating: UInt8(ascii: "x"), count: max(0, txBytes - tx.count))
            transactions.append(tx)
        }
        return .send(transactions, hashes: transactions.map { SHA256Digest.hash($0) })
    }
}
