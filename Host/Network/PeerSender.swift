import NIOCore
import Synchronization

/// The sending half of an established connection: a message is handed to
/// the connection's event loop, which seals it and writes the frame.
///
/// Why not a queue drained by a task: each message then crossed two threads
/// before the socket (the caller → a cooperative-pool task that sealed it →
/// the event loop that wrote it), and at batch 1 the wake-ups of those hops
/// were a larger share of the machine than signatures (`docs/benchmarks.md`,
/// round 3). Now it crosses one: the event loop's own task queue.
///
/// Invariants: frames are sealed in the order `send` was called — one event
/// loop runs the tasks of a connection in the order they were submitted, and
/// the sealer (whose counter is the nonce) lives on that loop only
/// (`NIOLoopBoundBox`). Bound: at most `capacity` frames handed over and not
/// yet written to the socket (or failed); one more is refused, and the
/// caller counts and logs the drop (`Transport`'s send queue rule).
final class PeerSender: Sendable {
    /// Which connection of the peer this is (a reconnection gets a new one).
    let connection: Int
    private let channel: any Channel
    private let sealer: NIOLoopBoundBox<SessionCipher>
    private let pending = Atomic<Int>(0)
    private let capacity: Int

    init(connection: Int, channel: any Channel, sealer: SessionCipher, capacity: Int) {
        self.connection = connection
        self.channel = channel
        self.sealer = .makeBoxSendingValue(sealer, eventLoop: channel.eventLoop)
        self.capacity = capacity
    }

    /// Hands `plaintext` to the event loop; false when `capacity` frames wait
    /// already (the message is dropped). Synchronous, from any thread.
    func send(_ plaintext: [UInt8]) -> Bool {
        guard pending.wrappingAdd(1, ordering: .relaxed).newValue <= capacity else {
            pending.subtract(1, ordering: .relaxed)
            return false
        }
        channel.eventLoop.execute { [self] in
            let frame = sealer.value.sealFrame(plaintext, allocator: channel.allocator)
            channel.writeAndFlush(frame).whenComplete { _ in self.pending.subtract(1, ordering: .relaxed) }
        }
        return true
    }

    /// Frames handed over and not yet written (tests watch the bound).
    var waiting: Int { pending.load(ordering: .relaxed) }

    /// Closes the connection: its reader ends, and the transport forgets the peer.
    func close() { channel.close(promise: nil) }
}
