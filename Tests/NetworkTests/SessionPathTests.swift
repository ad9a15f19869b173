import BatonCrypto
import Consensus
import NIOCore
import NIOEmbedded
import Synchronization
@testable import BatonNetwork
import Testing

/// The established connection's two halves on an `EmbeddedChannel`, whose
/// event loop runs a task only when the test says so: what `PeerSender`
/// hands over and when, and what `SessionReader` holds, delivers and refuses.
@Suite struct SessionPathTests {
    /// Both ends of a finished handshake (`HandshakeTests.pair`).
    func ciphers() throws -> (SessionCipher, SessionCipher) { try HandshakeTests().pair() }

    static func message(_ nonce: UInt64) -> Message { .statusRequest(StatusRequest(nonce: nonce)) }

    /// At most `capacity` frames wait for the event loop; the rest are refused
    /// (the transport drops and counts them). What was handed over is sealed
    /// in call order, so the peer opens every frame with its running counter.
    @Test func theSenderHandsOverInOrderAndRefusesBeyondItsBound() throws {
        let (mine, theirs) = try ciphers()
        let channel = EmbeddedChannel()
        let sender = PeerSender(connection: 1, channel: channel, sealer: mine, capacity: 3)
        let accepted = (1...5 as ClosedRange<UInt64>).map { sender.send(Self.message($0).encoded) }
        #expect(accepted == [true, true, true, false, false])
        #expect(sender.waiting == 3)
        #expect(try channel.readOutbound(as: ByteBuffer.self) == nil)  // nothing written before the loop runs

        channel.embeddedEventLoop.run()
        var opener = theirs
        for nonce in 1...3 as ClosedRange<UInt64> {
            let frame = try #require(try channel.readOutbound(as: ByteBuffer.self))
            #expect(try Message.decode(opener.open(Array(buffer: frame))) == Self.message(nonce))
        }
        #expect(try channel.readOutbound(as: ByteBuffer.self) == nil)
        #expect(sender.waiting == 0)
        #expect(sender.send(Self.message(6).encoded))
        channel.embeddedEventLoop.run()
        let frame = try #require(try channel.readOutbound(as: ByteBuffer.self))
        #expect(try Message.decode(opener.open(Array(buffer: frame))) == Self.message(6))
        _ = try? channel.finish()
    }

    /// The handshake's two frames go on to the connection's task; frames
    /// after them wait until the reader is armed, then are delivered first
    /// and in order, and later frames as they come.
    @Test func theReaderPassesTheHandshakeHoldsWhatComesEarlyAndDeliversInOrder() throws {
        let (theirs, mine) = try ciphers()
        var sealer = theirs
        let outcome = SessionReader.Outcome()
        let channel = EmbeddedChannel(handler: SessionReader(outcome: outcome))
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        let reader = try channel.pipeline.syncOperations.handler(type: SessionReader.self)
        try channel.writeInbound(ByteBuffer(bytes: [1]))
        try channel.writeInbound(ByteBuffer(bytes: [2]))
        #expect(try channel.readInbound(as: ByteBuffer.self) == ByteBuffer(bytes: [1]))
        #expect(try channel.readInbound(as: ByteBuffer.self) == ByteBuffer(bytes: [2]))
        for nonce in 1...3 as ClosedRange<UInt64> { try channel.writeInbound(ByteBuffer(bytes: sealer.seal(Self.message(nonce).encoded))) }
        #expect(try channel.readInbound(as: ByteBuffer.self) == nil)

        let delivered = Mutex<[Message]>([])
        let peer = PrivateKey.generate().publicKey
        reader.arm(SessionReader.Armed(peer: peer, opener: mine, deliver: { from, message in
            #expect(from == peer)
            delivered.withLock { $0.append(message) }
        }))
        #expect(delivered.withLock { $0 } == (1...3).map(Self.message))
        try channel.writeInbound(ByteBuffer(bytes: sealer.seal(Self.message(4).encoded)))
        #expect(delivered.withLock { $0 } == (1...4).map(Self.message))
        #expect(try channel.readInbound(as: ByteBuffer.self) == nil)
        #expect(channel.isActive && outcome.failure.withLock { $0 } == nil)
        _ = try? channel.finish()
    }

    /// A frame that does not open is a refusal, one that opens to no message
    /// a bad frame, and a flood of frames before the handshake ends a
    /// refusal: each closes the connection and is kept for the task to count.
    @Test func theReaderClosesOnATamperedOrGarbageFrameOrAFlood() throws {
        let peer = PrivateKey.generate().publicKey
        func armed() throws -> (EmbeddedChannel, SessionReader.Outcome, SessionCipher) {
            let (theirs, mine) = try ciphers()
            let outcome = SessionReader.Outcome()
            let channel = EmbeddedChannel(handler: SessionReader(outcome: outcome))
            try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
            let reader = try channel.pipeline.syncOperations.handler(type: SessionReader.self)
            for _ in 0..<SessionReader.handshakeFrames { try channel.writeInbound(ByteBuffer(bytes: [0])) }
            reader.arm(SessionReader.Armed(peer: peer, opener: mine, deliver: { _, _ in }))
            return (channel, outcome, theirs)
        }

        var (channel, outcome, sealer) = try armed()
        var tampered = sealer.seal(Self.message(1).encoded)
        tampered[0] ^= 1
        try channel.writeInbound(ByteBuffer(bytes: tampered))
        guard case .refused(.malformed)? = outcome.failure.withLock({ $0 }) else {
            Issue.record("a tampered frame: \(String(describing: outcome.failure.withLock { $0 }))")
            return
        }
        #expect(!channel.isActive)

        (channel, outcome, sealer) = try armed()
        try channel.writeInbound(ByteBuffer(bytes: sealer.seal([0xFF, 0xFF, 0xFF])))
        guard case .badFrame? = outcome.failure.withLock({ $0 }) else {
            Issue.record("a garbage message: \(String(describing: outcome.failure.withLock { $0 }))")
            return
        }
        #expect(!channel.isActive)

        let flooded = SessionReader.Outcome()
        let early = EmbeddedChannel(handler: SessionReader(outcome: flooded))
        try early.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        for _ in 0..<(SessionReader.handshakeFrames + SessionReader.heldFramesMax) { try early.writeInbound(ByteBuffer(bytes: [0])) }
        #expect(early.isActive && flooded.failure.withLock { $0 } == nil)
        try early.writeInbound(ByteBuffer(bytes: [0]))
        guard case .refused(.malformed)? = flooded.failure.withLock({ $0 }) else {
            Issue.record("a flood before arming: \(String(describing: flooded.failure.withLock { $0 }))")
            return
        }
        #expect(!early.isActive)
    }
}
