import Foundation
import BatonAPI
import BatonCrypto
import Consensus
import Synchronization

/// What a node tells its observers (the `/v1/events` stream).
public enum NodeEvent: Sendable, Hashable {
    /// `transactions`: the hashes of the mempool transactions the block carried.
    case finalized(height: Height, id: BlockID, view: View, stateHash: Bytes32, proposer: ValidatorIndex, transactions: [Bytes32])
    case viewChanged(view: View, byTimeout: Bool)
    /// AA-3: this node's app diverged from the quorum's; the node stops.
    case diverged(AppAgreement.Mismatch)
    /// A misbehavior proof was kept (the messages are at `/v1/evidence`).
    case evidence(kind: String, offender: ValidatorIndex, view: View)
    /// A decided upgrade took effect: the block at `height` was the first the
    /// new application committed, `gapMs` after the old one's last.
    case upgraded(height: Height, plugin: String, version: String, gapMs: UInt64)
    /// A committee change took effect (EP-1): epoch `epoch` began after the
    /// block at `height`, with `members` members.
    case committeeChanged(epoch: Epoch, height: Height, members: Int)

    /// One server-sent-events frame; with `hashes`, finalized blocks list
    /// their transactions' hashes (`txs`), so a client can time its own.
    public func serverSentEvent(hashes: Bool = false) -> String {
        switch self {
        case .finalized(let height, let id, let view, let hash, let proposer, let transactions):
            "event: finalized\ndata: {\"height\":\(height),\"id\":\"\(id.hex)\",\"view\":\(view),\"stateHash\":\"\(hash.hex)\",\"proposer\":\(proposer),\"transactions\":\(transactions.count)"
                + (hashes ? ",\"txs\":[\(transactions.map { "\"\($0.hex)\"" }.joined(separator: ","))]" : "") + "}\n\n"
        case .viewChanged(let view, let byTimeout):
            "event: view\ndata: {\"view\":\(view),\"cause\":\"\(byTimeout ? "timeout" : "qc")\"}\n\n"
        case .diverged(let m):
            "event: diverged\ndata: \(m.json)\n\n"
        case .evidence(let kind, let offender, let view):
            "event: evidence\ndata: {\"kind\":\"\(kind)\",\"offender\":\(offender),\"view\":\(view)}\n\n"
        case .upgraded(let height, let plugin, let version, let gap):
            "event: upgraded\ndata: {\"height\":\(height),\"plugin\":\"\(plugin)\",\"version\":\"\(version)\",\"gapMs\":\(gap)}\n\n"
        case .committeeChanged(let epoch, let height, let members):
            "event: committee\ndata: {\"epoch\":\(epoch),\"height\":\(height),\"members\":\(members)}\n\n"
        }
    }
}

/// Fans node events out to any number of subscribers, each with a bounded
/// buffer (a slow subscriber loses its oldest events, never slows the node).
public final class EventHub: Sendable {
    private let subscribers = Mutex<[Int: AsyncStream<NodeEvent>.Continuation]>([:])
    private let nextID = Atomic<Int>(0)
    static let bufferedEventsMax = 256

    public init() {}

    public func subscribe() -> AsyncStream<NodeEvent> { subscribe(max: .max)! }

    /// A subscription, or nil when `max` are open already (the API's bound:
    /// each holds a buffer of up to `bufferedEventsMax` events).
    public func subscribe(max: Int) -> AsyncStream<NodeEvent>? {
        let id = nextID.add(1, ordering: .relaxed).newValue
        let (stream, continuation) = AsyncStream.makeStream(of: NodeEvent.self,
                                                            bufferingPolicy: .bufferingNewest(Self.bufferedEventsMax))
        continuation.onTermination = { [weak self] _ in _ = self?.subscribers.withLock { $0.removeValue(forKey: id) } }
        let admitted = subscribers.withLock { subscribers in
            guard subscribers.count < max else { return false }
            subscribers[id] = continuation
            return true
        }
        guard admitted else {
            continuation.finish()
            return nil
        }
        return stream
    }

    public func yield(_ event: NodeEvent) {
        for continuation in subscribers.withLock({ Array($0.values) }) { continuation.yield(event) }
    }

    /// Ends every subscription (the node stops): event streams, and the HTTP
    /// responses serving them, finish instead of holding shutdown up.
    public func finishAll() {
        for continuation in subscribers.withLock({ Array($0.values) }) { continuation.finish() }
    }

    public var subscriberCount: Int { subscribers.withLock { $0.count } }
}

extension AppAgreement.Mismatch {
    /// `{"block":…,"height":…,"otherHash":…,"ownHash":…,"proposer":…}`
    public var json: String { String(decoding: APIJSON.encode(apiValue), as: UTF8.self) }

    public var apiValue: AppMismatch {
        AppMismatch(height: height, ownHash: ownHash.hex, otherHash: otherHash.hex, block: blockID.hex, proposer: Int(proposer))
    }
}
