import BatonCrypto
import Consensus

/// What the node's loop needs of the network (flow-go's `Communicator`).
/// Inbound messages do not come back through here: a transport is built with
/// a sink (the node's `InputQueue`) and delivers into it.
///
/// Contract: `send` and `broadcast` never block and never throw — a message
/// to an unconnected or slow peer is dropped (and counted); consensus
/// tolerates loss and re-sends what matters.
public protocol PeerTransport: Sendable {
    /// Starts listening and dialling; returns once the listener is bound.
    func start() async throws
    func send(_ message: Message, to peer: PublicKey)
    /// To every connected peer.
    func broadcast(_ message: Message)
    var connectedPeers: [PublicKey] { get }
    /// Counters since start, for metrics.
    func statistics() async -> TransportStatistics
    func shutdown() async
    /// A committee change: who may connect from now on, whom to dial
    /// (members with their host and port), and whether this node is a member.
    func updateMembership(members: [(key: PublicKey, host: String, port: Int)], listeners: [PublicKey], isMember: Bool) async
}

extension PeerTransport {
    /// A transport with a fixed set of peers (an in-process test's) has nothing to change.
    public func updateMembership(members: [(key: PublicKey, host: String, port: Int)], listeners: [PublicKey],
                                 isMember: Bool) async {}
}

/// A transport's counters (see `/metrics`).
public struct TransportStatistics: Sendable, Hashable {
    public var droppedMessages = 0
    public var refusedConnections = 0
    public var badFrames = 0
    /// Connections refused because their key already had a live one (two
    /// processes running with one key).
    public var duplicateKeyConnections = 0

    public init(droppedMessages: Int = 0, refusedConnections: Int = 0, badFrames: Int = 0, duplicateKeyConnections: Int = 0) {
        self.droppedMessages = droppedMessages
        self.refusedConnections = refusedConnections
        self.badFrames = badFrames
        self.duplicateKeyConnections = duplicateKeyConnections
    }
}
