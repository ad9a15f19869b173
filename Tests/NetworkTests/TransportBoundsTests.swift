import Synchronization
import BatonCrypto
import Consensus
@testable import BatonNetwork
import BatonTestSupport
import Testing

/// Issue 14's transport findings, on real TCP: nothing unauthenticated costs
/// memory or time, and a second process with a member's key can neither take
/// the member's connections nor cut it off for good.
@Suite struct TransportBoundsTests {
    let chain = SHA256Digest.hash(Array("bounds".utf8))

    /// Two members sorted so that `low` dials `high`.
    func sortedSigners() -> (low: Secp256k1Signer, high: Secp256k1Signer) {
        let a = Secp256k1Signer(PrivateKey.generate()), b = Secp256k1Signer(PrivateKey.generate())
        return Transport.dials(from: a.publicKey, to: b.publicKey) ? (a, b) : (b, a)
    }

    func transport(_ signer: Secp256k1Signer, members: [PublicKey], limits: ConnectionLimits = ConnectionLimits())
        async throws -> (Transport, Int) {
        let transport = Transport(chainID: chain, signer: signer, verifier: Secp256k1Verifier(), members: members, limits: limits)
        return (transport, try await transport.listen(host: "127.0.0.1", port: 0))
    }

    func refusals(_ events: AsyncStream<Transport.ConnectionEvent>, count: Int,
                  matching: @escaping @Sendable (HandshakeError) -> Bool) async -> Bool {
        let seen = Atomic<Int>(0)
        return await consume(events, within: 30) { event in
            guard case .refused(let error) = event, matching(error) else { return false }
            return seen.add(1, ordering: .relaxed).newValue >= count
        }
    }

    @Test func aConnectionThatDoesNotFinishItsHandshakeIsClosedAtTheDeadline() async throws {
        let (low, high) = sortedSigners()
        var limits = ConnectionLimits()
        limits.handshakeTimeout = .milliseconds(300)
        let (node, port) = try await transport(high, members: [low.publicKey, high.publicKey], limits: limits)
        let events = node.events
        // Connects and says nothing: before, it stayed open for good.
        let idle = try LoopbackSocket(port: port, receiveTimeoutSeconds: 20)
        #expect(await refusals(events, count: 1) { $0 == .timedOut })
        #expect(await idle.closedByPeer())
        #expect(await waitUntil(seconds: 30) { await node.pendingHandshakes == 0 })
        await node.shutdown()
    }

    @Test func anUnauthenticatedPeerCannotSendMoreThanAHandshakeFrame() async throws {
        let (low, high) = sortedSigners()
        let (node, port) = try await transport(high, members: [low.publicKey, high.publicKey])
        let events = node.events
        // 4 KiB announced before authentication: a block-sized frame was accepted (8 MiB) before.
        let socket = try LoopbackSocket(port: port)
        socket.send([0, 0, 0x10, 0] + [UInt8](repeating: 7, count: 256))
        let tooLarge = await consume(events, within: 30) { event in
            if case .badFrame(let reason) = event { reason.contains("256-byte limit") } else { false }
        }
        #expect(tooLarge)
        #expect(await socket.closedByPeer())
        await node.shutdown()
    }

    @Test func pendingHandshakesAreBoundedPerAddressAndReturnToZero() async throws {
        let (low, high) = sortedSigners()
        var limits = ConnectionLimits()
        limits.pendingHandshakesPerAddressMax = 4
        // Neither the deadline nor the silence detector may free a slot during the test.
        limits.handshakeTimeout = .seconds(120)
        limits.silenceTimeout = .seconds(120)
        let (node, port) = try await transport(high, members: [low.publicKey, high.publicKey], limits: limits)
        let events = node.events
        var sockets: [LoopbackSocket] = []
        for _ in 0..<12 { sockets.append(try LoopbackSocket(port: port, receiveTimeoutSeconds: 20)) }
        // 8 of 12 are over the per-address bound: closed at once, not held.
        #expect(await refusals(events, count: 8) { if case .overloaded("127.0.0.1") = $0 { true } else { false } })
        #expect(await node.pendingHandshakes == 4)
        let closed = Atomic<Int>(0)
        do {
            let held = sockets
            #expect(await waitUntil(seconds: 30) {
                var count = 0
                for socket in held { if await socket.closedByPeerWithin(milliseconds: 0) { count += 1 } }
                closed.store(count, ordering: .relaxed)
                return count >= 8
            })
        }
        #expect(closed.load(ordering: .relaxed) == 8)
        sockets.removeAll()
        #expect(await waitUntil(seconds: 30) { await node.pendingHandshakes == 0 })
        // A member still connects.
        let (member, _) = try await transport(low, members: [low.publicKey, high.publicKey])
        await member.connect(to: [Transport.Peer(key: high.publicKey, host: "127.0.0.1", port: port)])
        #expect(await waitUntil(seconds: 30) { node.connectedPeers == [low.publicKey] })
        await member.shutdown()
        await node.shutdown()
    }

    @Test func aSilentPeerIsDetectedAsDeadAndDisconnected() async throws {
        let (low, high) = sortedSigners()
        var quiet = ConnectionLimits()
        quiet.keepAliveInterval = .seconds(3_600)  // a frozen peer: never a keep-alive
        var watchful = ConnectionLimits()
        watchful.silenceTimeout = .milliseconds(500)
        let members = [low.publicKey, high.publicKey]
        let (frozen, _) = try await transport(low, members: members, limits: quiet)
        let (node, port) = try await transport(high, members: members, limits: watchful)
        let events = node.events
        await frozen.connect(to: [Transport.Peer(key: high.publicKey, host: "127.0.0.1", port: port)])
        let cameAndWent = Atomic<Int>(0)
        let detected = await consume(events, within: 30) { event in
            switch event {
            case .connected: cameAndWent.add(1, ordering: .relaxed)
            case .disconnected: return cameAndWent.load(ordering: .relaxed) >= 1
            default: break
            }
            return false
        }
        #expect(detected)
        await frozen.shutdown()
        await node.shutdown()
    }

    /// The member's twin (same key, another address, started second) is
    /// refused while the member's connection lives, and a responder never
    /// takes inbound a key it dials itself.
    @Test func aTwinCannotTakeAMembersConnections() async throws {
        let (low, high) = sortedSigners()
        let members = [low.publicKey, high.publicKey]
        let (member, memberPort) = try await transport(low, members: members)
        let (peer, peerPort) = try await transport(high, members: members)
        let peerEvents = peer.events
        await member.connect(to: [Transport.Peer(key: high.publicKey, host: "127.0.0.1", port: peerPort)])
        #expect(await waitUntil(seconds: 30) { peer.connectedPeers == [low.publicKey] })
        // The twin of `low` dials `high` as `low` would.
        let (twin, _) = try await transport(low, members: members)
        await twin.connect(to: [Transport.Peer(key: high.publicKey, host: "127.0.0.1", port: peerPort)])
        let warned = await consume(peerEvents, within: 30) { event in
            if case .duplicateKey(let key) = event { key == low.publicKey } else { false }
        }
        #expect(warned)
        #expect(await peer.stats.duplicateKeyConnections >= 1)
        // The member's link still carries messages both ways.
        peer.send(.transactions(TransactionBatch([[9]])), to: low.publicKey)
        let got = await consume(member.inbound, within: 30) { $0.message == .transactions(TransactionBatch([[9]])) }
        #expect(got)
        await twin.shutdown()
        // A twin of `high` dialling `low` (which dials `high` itself) is refused as unexpected.
        let memberEvents = member.events
        // (dialsEveryone: it dials though the lower key is the one to dial.)
        let twinOfHigh = Transport(chainID: chain, signer: high, verifier: Secp256k1Verifier(), members: members, dialsEveryone: true)
        await twinOfHigh.connect(to: [Transport.Peer(key: low.publicKey, host: "127.0.0.1", port: memberPort)])
        let unexpected = await consume(memberEvents, within: 30) { event in
            if case .refused(.unexpectedPeer(let key, _)) = event { key == high.publicKey.hex } else { false }
        }
        #expect(unexpected)
        #expect(HandshakeError.unexpectedPeer(high.publicKey.hex, "x").description.contains("is in the committee but not expected here"))
        await twinOfHigh.shutdown()
        await member.shutdown()
        await peer.shutdown()
    }

    /// A twin that connected first holds the slot only while it lives: the
    /// member, which keeps dialling, is connected again once the twin is gone.
    @Test func theMemberGetsItsConnectionBackWhenTheTwinGoes() async throws {
        let (low, high) = sortedSigners()
        let members = [low.publicKey, high.publicKey]
        let (peer, peerPort) = try await transport(high, members: members)
        let peerEvents = peer.events
        let (twin, _) = try await transport(low, members: members)
        await twin.connect(to: [Transport.Peer(key: high.publicKey, host: "127.0.0.1", port: peerPort)])
        #expect(await waitUntil(seconds: 30) { peer.connectedPeers == [low.publicKey] })
        let (member, _) = try await transport(low, members: members)
        await member.connect(to: [Transport.Peer(key: high.publicKey, host: "127.0.0.1", port: peerPort)])
        #expect(await consume(peerEvents, within: 30) { if case .duplicateKey = $0 { true } else { false } })
        await twin.shutdown()
        // The peer may still hold the twin's closing connection for a moment,
        // and refuse the member's first redial: send until one arrives.
        let sender = Task {
            for _ in 0..<300 where !Task.isCancelled {
                peer.send(.transactions(TransactionBatch([[4]])), to: low.publicKey)
                try? await Task.sleep(for: .milliseconds(100))
            }
        }
        #expect(await consume(member.inbound, within: 30) { $0.message == .transactions(TransactionBatch([[4]])) })
        sender.cancel()
        await member.shutdown()
        await peer.shutdown()
    }
}
