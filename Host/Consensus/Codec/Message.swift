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
    /// State sync, between node shells (never the core's).
    case stateSync(StateSyncMessage)

    public static let version: UInt8 = 1

    enum Kind: UInt8 {
        case proposal = 1, vote, timeout, blockRequest, blockResponse, transactions, statusRequest, status, epoch, stateSync
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
        case .stateSync(let m): w.u8(Kind.stateSync.rawValue); m.encode(to: &w)
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
        case .stateSync: .stateSync(try StateSyncMessage(from: &r))
        }
        try r.expectEnd("message")
        return message
    }
}
