import BatonCrypto
import Consensus
import NIOCore
import Synchronization

/// The receiving half of a connection, on its event loop: once the handshake
/// has authenticated the peer, each frame is opened, decoded and handed to
/// the transport's sink right where NIO read it.
///
/// Why here and not on the connection's task: a frame then crossed one more
/// thread (event loop → a cooperative-pool task → the node's loop), and that
/// wake-up was paid for every message (`PeerSender` says the same of sends).
/// The price: a large frame (a block response while a node syncs) is decoded
/// on the event loop too, milliseconds during which that loop's other
/// connections and API requests wait.
///
/// Before it is armed (`arm`), the handshake's two frames — the peer's hello
/// and authentication — go on to the connection's task, which runs the
/// handshake; frames after them wait here, in order, until the task has
/// authenticated and registered the peer and arms the reader (a peer may send
/// its first messages as soon as its own side of the handshake is done). At
/// most `heldFramesMax` wait; they are small, for the frame limit is still the
/// handshake's (`FrameLimit` is raised after arming): 256 × 256 bytes, 64 KiB a
/// connection, from a peer not yet authenticated. A frame that fails to
/// open or decode closes the connection; what went wrong is kept in
/// `failure` for the task to count once the channel has closed.
final class SessionReader: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    static let handshakeFrames = 2
    static let heldFramesMax = 256

    /// Why the reader closed the connection.
    enum Failure: Sendable {
        /// The frame did not open (tampered, replayed, reordered) or too many waited.
        case refused(HandshakeError)
        /// It opened but is not a message.
        case badFrame(String)
    }

    /// A frame that opened but was not a message, as the connection's task throws it.
    struct BadFrame: Error {
        let reason: String
    }

    struct Armed {
        let peer: PublicKey
        var opener: SessionCipher
        let deliver: @Sendable (PublicKey, Message) -> Void
    }

    /// What the connection's task reads once the channel has closed.
    final class Outcome: Sendable {
        let failure = Mutex<Failure?>(nil)
    }

    private var passed = 0
    private var held: [ByteBuffer] = []
    private var armed: Armed?
    private var failed = false
    private var context: ChannelHandlerContext?
    let outcome: Outcome

    init(outcome: Outcome) {
        self.outcome = outcome
    }

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }
    func handlerRemoved(context: ChannelHandlerContext) { self.context = nil }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        if failed { return }
        if armed != nil { return read(frame, context: context) }
        if passed < Self.handshakeFrames {
            passed += 1
            return context.fireChannelRead(data)
        }
        guard held.count < Self.heldFramesMax else {
            return fail(.refused(.malformed("more than \(Self.heldFramesMax) frames before the handshake ended")), context: context)
        }
        held.append(frame)
    }

    /// From here on frames are opened and delivered here; those held first.
    func arm(_ reader: Armed) {
        armed = reader
        guard let context else { return }
        let waiting = held
        held = []
        for frame in waiting where armed != nil { read(frame, context: context) }
    }

    private func read(_ frame: ByteBuffer, context: ChannelHandlerContext) {
        guard var reader = armed else { return }
        let plaintext: [UInt8]
        do throws(HandshakeError) {
            plaintext = try reader.opener.open(Array(buffer: frame))
        } catch {
            return fail(.refused(error), context: context)
        }
        armed = reader
        let message: Message
        do {
            message = try Message.decode(plaintext)
        } catch {
            return fail(.badFrame("\(error)"), context: context)
        }
        reader.deliver(reader.peer, message)
    }

    private func fail(_ reason: Failure, context: ChannelHandlerContext) {
        armed = nil
        held = []
        failed = true
        outcome.failure.withLock { if $0 == nil { $0 = reason } }
        context.close(promise: nil)
    }
}
