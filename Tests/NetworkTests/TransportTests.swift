import BatonCrypto
import Consensus
import Foundation
@testable import BatonNetwork
import NIOCore
import NIOPosix
import BatonTestSupport
import Testing

/// Real TCP on loopback.
@Suite struct TransportTests {
    let chain = SHA256Digest.hash(Array("net".utf8))

    struct Node {
        let signer: Secp256k1Signer
        let transport: Transport
        let port: Int
    }

    func makeNodes(_ n: Int) async throws -> [Node] {
        let signers = (0..<n).map { _ in Secp256k1Signer(PrivateKey.generate()) }
        var nodes: [Node] = []
        for signer in signers {
            let transport = Transport(chainID: chain, signer: signer, verifier: Secp256k1Verifier(),
                                      members: signers.map(\.publicKey))
            let port = try await transport.listen(host: "127.0.0.1", port: 0)
            nodes.append(Node(signer: signer, transport: transport, port: port))
        }
        let peers = nodes.map { Transport.Peer(key: $0.signer.publicKey, host: "127.0.0.1", port: $0.port) }
        for node in nodes { await node.transport.connect(to: peers) }
        return nodes
    }

    /// Waits until `transport` reports `count` connections (an awaited event, no sleep).
    func awaitConnected(_ transport: Transport, count: Int) async {
        var events = transport.events.makeAsyncIterator()
        while transport.connectedPeers.count < count {
            guard await events.next() != nil else { return }
        }
    }

    @Test func membersConnectOnceEachAndExchangeMessages() async throws {
        let nodes = try await makeNodes(3)
        for node in nodes { await awaitConnected(node.transport, count: 2) }
        let vote = Vote(view: 7, blockID: SHA256Digest.hash([7]), signer: 0, signature: nodes[0].signer.sign(.zero))
        nodes[0].transport.send(.vote(vote), to: nodes[2].signer.publicKey)
        nodes[1].transport.broadcast(.transactions(TransactionBatch([Array("k=v".utf8)])))
        var atTwo = nodes[2].transport.inbound.makeAsyncIterator()
        var received: [Message] = []
        while received.count < 2, let next = await atTwo.next() { received.append(next.message) }
        #expect(received.contains(.vote(vote)))
        #expect(received.contains(.transactions(TransactionBatch([Array("k=v".utf8)]))))
        for node in nodes { await node.transport.shutdown() }
    }

    @Test func aKeyOutsideTheCommitteeCannotConnect() async throws {
        let nodes = try await makeNodes(2)
        let outsider = Secp256k1Signer(PrivateKey.generate())
        let intruder = Transport(chainID: chain, signer: outsider, verifier: Secp256k1Verifier(),
                                 members: nodes.map(\.signer.publicKey), dialsEveryone: true)
        _ = try await intruder.listen(host: "127.0.0.1", port: 0)
        var events = nodes[0].transport.events.makeAsyncIterator()
        await intruder.connect(to: [Transport.Peer(key: nodes[0].signer.publicKey, host: "127.0.0.1", port: nodes[0].port)])
        var refused = false
        while let event = await events.next() {
            if case .refused(.unauthorizedPeer) = event { refused = true; break }
        }
        #expect(refused)
        #expect(await nodes[0].transport.stats.refusedConnections >= 1)
        #expect(!nodes[0].transport.connectedPeers.contains(outsider.publicKey))
        await intruder.shutdown()
        for node in nodes { await node.transport.shutdown() }
    }

    @Test func oversizedAndGarbageFramesDisconnectThePeerAndTheNodeRunsOn() async throws {
        let nodes = try await makeNodes(2)
        await awaitConnected(nodes[0].transport, count: 1)
        var events = nodes[0].transport.events.makeAsyncIterator()
        // A raw client announcing a 1 GiB frame.
        try rawSend(port: nodes[0].port, bytes: [0x40, 0, 0, 0] + [UInt8](repeating: 0, count: 64))
        // A raw client sending a well-framed but meaningless hello.
        try rawSend(port: nodes[0].port, bytes: [0, 0, 0, 5, 1, 2, 3, 4, 5])
        var sawTooLarge = false, sawRefused = false
        var seen: [Transport.ConnectionEvent] = []
        // Bounded: a missed event fails the test instead of hanging the suite.
        let deadline = ContinuousClock.now + .seconds(30)
        while !(sawTooLarge && sawRefused), ContinuousClock.now < deadline,
              let event = await events.next() {
            seen.append(event)
            if case .badFrame(let reason) = event, reason.contains("exceeds") { sawTooLarge = true }
            if case .refused(.malformed) = event { sawRefused = true }
        }
        #expect(sawTooLarge && sawRefused, "events: \(seen)")
        // The members still talk.
        nodes[1].transport.send(.transactions(TransactionBatch([[1]])), to: nodes[0].signer.publicKey)
        var inbound = nodes[0].transport.inbound.makeAsyncIterator()
        #expect(await inbound.next()?.message == .transactions(TransactionBatch([[1]])))
        for node in nodes { await node.transport.shutdown() }
    }

    /// Plain blocking socket: what a misbehaving peer would do.
    func rawSend(port: Int, bytes: [UInt8]) throws {
        let socket = try LoopbackSocket(port: port)
        socket.send(bytes)
        // Let the server read before the close: wait for it to close its side.
        _ = socket.receive(max: 256)
    }
}
