import Synchronization
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
    /// Bounded: polls the peer count (connection events may come and go
    /// while both sides dial each other).
    func awaitConnected(_ transport: Transport, count: Int) async {
        _ = await waitUntil(seconds: 30) { transport.connectedPeers.count >= count }
    }

    /// Collects what `transport` receives until `enough`, for at most 30 s.
    func received(at transport: Transport, until enough: @escaping @Sendable ([Message]) -> Bool) async -> [Message] {
        let box = Mutex<[Message]>([])
        _ = await consume(transport.inbound, within: 30) { item in
            box.withLock { $0.append(item.message); return enough($0) }
        }
        return box.withLock { $0 }
    }

    @Test func membersConnectOnceEachAndExchangeMessages() async throws {
        let nodes = try await makeNodes(3)
        for node in nodes { await awaitConnected(node.transport, count: 2) }
        let vote = Vote(view: 7, blockID: SHA256Digest.hash([7]), signer: 0, signature: nodes[0].signer.sign(.zero))
        nodes[0].transport.send(.vote(vote), to: nodes[2].signer.publicKey)
        nodes[1].transport.broadcast(.transactions(TransactionBatch([Array("k=v".utf8)])))
        let got = await received(at: nodes[2].transport) { $0.count >= 2 }
        #expect(got.contains(.vote(vote)))
        #expect(got.contains(.transactions(TransactionBatch([Array("k=v".utf8)]))))
        for node in nodes { await node.transport.shutdown() }
    }

    @Test func aKeyOutsideTheCommitteeCannotConnect() async throws {
        let nodes = try await makeNodes(2)
        let outsider = Secp256k1Signer(PrivateKey.generate())
        let intruder = Transport(chainID: chain, signer: outsider, verifier: Secp256k1Verifier(),
                                 members: nodes.map(\.signer.publicKey), dialsEveryone: true)
        _ = try await intruder.listen(host: "127.0.0.1", port: 0)
        let events = nodes[0].transport.events
        await intruder.connect(to: [Transport.Peer(key: nodes[0].signer.publicKey, host: "127.0.0.1", port: nodes[0].port)])
        let refused = await consume(events, within: 30) { event in
            if case .refused(.unauthorizedPeer) = event { true } else { false }
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
        let events = nodes[0].transport.events
        // A raw client announcing a 1 GiB frame.
        try await rawSend(port: nodes[0].port, bytes: [0x40, 0, 0, 0] + [UInt8](repeating: 0, count: 64))
        // A raw client sending a well-framed but meaningless hello.
        try await rawSend(port: nodes[0].port, bytes: [0, 0, 0, 5, 1, 2, 3, 4, 5])
        // Bounded: a missed event fails the test instead of hanging the suite.
        let seen = Mutex<[Transport.ConnectionEvent]>([])
        let both = await consume(events, within: 30) { event in
            seen.withLock { seen in
                seen.append(event)
                let tooLarge = seen.contains { if case .badFrame(let reason) = $0 { reason.contains("exceeds") } else { false } }
                let refused = seen.contains { if case .refused(.malformed) = $0 { true } else { false } }
                return tooLarge && refused
            }
        }
        #expect(both, "events: \(seen.withLock { $0 })")
        // The members still talk.
        nodes[1].transport.send(.transactions(TransactionBatch([[1]])), to: nodes[0].signer.publicKey)
        let got = await received(at: nodes[0].transport) { !$0.isEmpty }
        #expect(got.first == .transactions(TransactionBatch([[1]])))
        for node in nodes { await node.transport.shutdown() }
    }

    /// Plain blocking socket: what a misbehaving peer would do.
    func rawSend(port: Int, bytes: [UInt8]) async throws {
        let socket = try LoopbackSocket(port: port, receiveTimeoutSeconds: 30)
        socket.send(bytes)
        // Let the server read before the close: wait (bounded) for it to close its side.
        _ = await socket.closedByPeer()
    }
}
