import BatonCrypto

/// Everything nodes say to each other, in one versioned envelope:
/// `[version][kind][body]`. Decoding arbitrary bytes returns a value or a
/// typed error; it never traps and never allocates past `WireLimits`.
public enum Message: Hashable, Sendable {
    case proposal(Proposal)
    case vote(Vote)
    case timeout(TimeoutObject)
    case blockRequest(BlockRequest)
    case blockResponse(BlockResponse)
    case transactions(TransactionBatch)
    /// SR-R (see `SafetyRecovery`).
    case statusRequest(StatusRequest)
    case status(StatusReport)
    /// EP-4: the epoch the sender is in. Sent only from epoch 1 on, so a
    /// chain whose committee never changed speaks exactly as before.
    case epoch(EpochNotice)

    public static let version: UInt8 = 1

    enum Kind: UInt8 {
        case proposal = 1, vote, timeout, blockRequest, blockResponse, transactions, statusRequest, status, epoch
    }

    public var encoded: [UInt8] {
        var w = WireWriter(capacity: 512)
        w.u8(Message.version)
        switch self {
        case .proposal(let p): w.u8(Kind.proposal.rawValue); p.encode(to: &w)
        case .vote(let v): w.u8(Kind.vote.rawValue); v.encode(to: &w)
        case .timeout(let t): w.u8(Kind.timeout.rawValue); t.encode(to: &w)
        case .blockRequest(let r): w.u8(Kind.blockRequest.rawValue); r.encode(to: &w)
        case .blockResponse(let r): w.u8(Kind.blockResponse.rawValue); r.encode(to: &w)
        case .transactions(let b): w.u8(Kind.transactions.rawValue); b.encode(to: &w)
        case .statusRequest(let r): w.u8(Kind.statusRequest.rawValue); r.encode(to: &w)
        case .status(let s): w.u8(Kind.status.rawValue); s.encode(to: &w)
        case .epoch(let n): w.u8(Kind.epoch.rawValue); n.encode(to: &w)
        }
        return w.bytes
    }

    public static func decode(_ bytes: [UInt8], limits: WireLimits = .standard) throws(WireDecodingError) -> Message {
        guard bytes.count <= limits.messageBytesMax else {
            throw WireDecodingError(.tooLarge, field: "message", detail: "\(bytes.count) > \(limits.messageBytesMax) bytes")
        }
        var r = WireReader(bytes, limits: limits)
        let version = try r.u8("message.version")
        guard version == Message.version else {
            throw WireDecodingError(.unknownVersion, field: "message", detail: "version \(version), this node speaks \(Message.version)")
        }
        let kindByte = try r.u8("message.kind")
        guard let kind = Kind(rawValue: kindByte) else { throw WireDecodingError(.unknownKind, field: "message", detail: "kind \(kindByte)") }
        let message: Message = switch kind {
        case .proposal: .proposal(try Proposal(from: &r))
        case .vote: .vote(try Vote(from: &r))
        case .timeout: .timeout(try TimeoutObject(from: &r))
        case .blockRequest: .blockRequest(try BlockRequest(from: &r))
        case .blockResponse: .blockResponse(try BlockResponse(from: &r))
        case .transactions: .transactions(try TransactionBatch(from: &r))
        case .statusRequest: .statusRequest(try StatusRequest(from: &r))
        case .status: .status(try StatusReport(from: &r))
        case .epoch: .epoch(try EpochNotice(from: &r))
        }
        try r.expectEnd("message")
        return message
    }
}

/// Block sync: ask for blocks by id (a missing ancestor and up to `ancestors`
/// of its own ancestors) or finalized blocks by height.
public struct BlockRequest: Hashable, Sendable, WireCodable {
    public enum Target: Hashable, Sendable {
        case byID(BlockID, ancestors: UInt16)
        case finalized(fromHeight: Height, count: UInt16)
    }

    public let requestID: UInt64
    public let target: Target

    public init(requestID: UInt64, target: Target) {
        self.requestID = requestID
        self.target = target
    }

    public func encode(to w: inout WireWriter) {
        w.u64(requestID)
        switch target {
        case .byID(let id, let ancestors): w.u8(1); w.bytes32(id); w.u16(ancestors)
        case .finalized(let from, let count): w.u8(2); w.u64(from); w.u16(count)
        }
    }

    public init(from r: inout WireReader) throws(WireDecodingError) {
        requestID = try r.u64("blockRequest.id")
        switch try r.u8("blockRequest.kind") {
        case 1: target = .byID(try r.bytes32("blockRequest.blockID"), ancestors: try r.u16("blockRequest.ancestors"))
        case 2: target = .finalized(fromHeight: try r.u64("blockRequest.from"), count: try r.u16("blockRequest.count"))
        case let other: throw WireDecodingError(.invalidValue, field: "blockRequest.kind", detail: "\(other)")
        }
    }
}

/// Blocks answering a request, oldest first, and optionally the QC that
/// certifies the last of them (each earlier block is certified by the QC in
/// its successor).
public struct BlockResponse: Hashable, Sendable, WireCodable {
    public let requestID: UInt64
    public let blocks: [Block]
    public let lastBlockQC: QuorumCertificate?

    public init(requestID: UInt64, blocks: [Block], lastBlockQC: QuorumCertificate?) {
        self.requestID = requestID
        self.blocks = blocks
        self.lastBlockQC = lastBlockQC
    }

    public func encode(to w: inout WireWriter) {
        w.u64(requestID)
        w.u16(UInt16(blocks.count))
        for block in blocks { block.encode(to: &w) }
        w.bool(lastBlockQC != nil)
        lastBlockQC?.encode(to: &w)
    }

    public init(from r: inout WireReader) throws(WireDecodingError) {
        requestID = try r.u64("blockResponse.id")
        // A block's header is at least ~150 bytes; 100 is a safe floor for the pre-check.
        let count = try r.count("blockResponse.blocks", max: r.limits.syncBlocksMax, minElementBytes: 100)
        var blocks: [Block] = []
        for _ in 0..<count { blocks.append(try Block(from: &r)) }
        self.blocks = blocks
        lastBlockQC = try r.bool("blockResponse.hasQC") ? try QuorumCertificate(from: &r) : nil
    }
}

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

/// EP-4: "I am in `epoch`, which began after height `rootHeight`". A node in
/// an earlier epoch learns from it that its chain ended elsewhere (nothing of
/// the later epoch validates under its committee) and catches up by height;
/// the answer carries the switch record's blocks and QC.
public struct EpochNotice: Hashable, Sendable, WireCodable {
    public let epoch: Epoch
    public let rootHeight: Height

    public init(epoch: Epoch, rootHeight: Height) {
        self.epoch = epoch
        self.rootHeight = rootHeight
    }

    public func encode(to w: inout WireWriter) {
        w.u64(epoch)
        w.u64(rootHeight)
    }

    public init(from r: inout WireReader) throws(WireDecodingError) {
        epoch = try r.u64("epochNotice.epoch")
        rootHeight = try r.u64("epochNotice.rootHeight")
    }
}
