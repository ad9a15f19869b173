import BatonCrypto
import BatonNetwork
import Consensus

/// The real network: the authenticated, encrypted TCP `Transport`, listening
/// on the node's address and dialling the committee's.
public struct TCPTransport: PeerTransport {
    public let transport: Transport
    let host: String
    let port: Int
    let peers: [Transport.Peer]

    public init(_ transport: Transport, listenHost: String, listenPort: Int, peers: [Transport.Peer]) {
        self.transport = transport
        host = listenHost
        port = listenPort
        self.peers = peers
    }

    public func start() async throws {
        try await transport.listen(host: host, port: port)
        await transport.connect(to: peers)
    }

    public func send(_ message: Message, to peer: PublicKey) { transport.send(message, to: peer) }
    public func broadcast(_ message: Message) { transport.broadcast(message) }
    public var connectedPeers: [PublicKey] { transport.connectedPeers }

    public func statistics() async -> TransportStatistics {
        let stats = await transport.stats
        return TransportStatistics(droppedMessages: stats.droppedMessages, refusedConnections: stats.refusedConnections,
                                   badFrames: stats.badFrames, duplicateKeyConnections: stats.duplicateKeyConnections)
    }

    public func shutdown() async { await transport.shutdown() }

    public func updateMembership(members: [(key: PublicKey, host: String, port: Int)], listeners: [PublicKey],
                                 isMember: Bool) async {
        await transport.updateMembership(members: members.map { Transport.Peer(key: $0.key, host: $0.host, port: $0.port) },
                                         listeners: listeners, isMember: isMember)
    }
}
