import BatonCrypto
import Consensus
import Node
import Synchronization

/// Nodes in one process, connected without sockets: a message sent to a
/// key goes through the wire codec (encoded, then decoded, as over TCP)
/// into that node's `InputQueue`. A node that is not attached (stopped,
/// or cut off) receives nothing — like a crashed peer.
public final class InMemoryNetwork: Sendable {
    private let queues = Mutex<[PublicKey: InputQueue]>([:])

    public init() {}

    /// `key`'s messages go to `queue` from now on.
    public func attach(_ key: PublicKey, to queue: InputQueue) { queues.withLock { $0[key] = queue } }

    /// `key` receives nothing any more.
    public func detach(_ key: PublicKey) { _ = queues.withLock { $0.removeValue(forKey: key) } }

    public func transport(for key: PublicKey) -> InMemoryTransport { InMemoryTransport(network: self, key: key) }

    /// Encoded once, decoded by each receiver: through the codec, so a
    /// message that would not survive the wire does not survive here.
    func deliver(_ message: Message, from: PublicKey, to peers: [PublicKey]) {
        let receivers = queues.withLock { queues in peers.filter { $0 != from }.compactMap { queues[$0] } }
        guard !receivers.isEmpty else { return }
        let bytes = message.encoded
        for queue in receivers {
            guard let decoded = try? Message.decode(bytes) else { return }
            queue.deliver(from: from, decoded)
        }
    }

    var keys: [PublicKey] { queues.withLock { Array($0.keys) } }
}

/// One node's end of an `InMemoryNetwork`.
public struct InMemoryTransport: PeerTransport {
    let network: InMemoryNetwork
    public let key: PublicKey

    public func start() async throws {}
    public func send(_ message: Message, to peer: PublicKey) { network.deliver(message, from: key, to: [peer]) }
    public func broadcast(_ message: Message) { network.deliver(message, from: key, to: network.keys) }

    public var connectedPeers: [PublicKey] { network.keys.filter { $0 != key } }
    public func statistics() async -> TransportStatistics { TransportStatistics() }
    public func shutdown() async { network.detach(key) }
}
