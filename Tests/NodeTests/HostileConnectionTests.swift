import BatonConfig
import BatonCrypto
import BatonNetwork
import Consensus
import Foundation
import Node
import BatonTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Outsiders and broken peers against real node processes.
@Suite(.processTests) struct HostileConnectionTests {
    @Test func outsidersAndGarbageFramesAreRefusedWhileTheClusterRunsOn() async throws {
        let configs = try await Testnet().configs
        let nodes = try configs.map { try NodeProcess(config: $0) }
        defer { nodes.forEach { $0.dispose() } }
        #expect(await waitUntil(seconds: 60) { nodes.allSatisfy { $0.height >= 5 } })
        let directory = URL(fileURLWithPath: configs[0]).deletingLastPathComponent().deletingLastPathComponent().path
        let genesis = try Genesis.load(directory + "/genesis.json")
        let (committee, _, addresses) = try genesis.resolve()
        let target = addresses[0]
        let metrics = "http://\(genesis.members[0].api!)/metrics"

        // A well-behaved process holding a key outside the committee: it
        // completes its half of the handshake and is refused.
        let outsider = Transport(chainID: committee.chainID, signer: Secp256k1Signer(PrivateKey.generate()),
                                 verifier: Secp256k1Verifier(), members: committee.members.map(\.publicKey),
                                 dialsEveryone: true)
        await outsider.connect(to: [Transport.Peer(key: target.0, host: target.1, port: target.2)])
        #expect(await waitUntil(seconds: 30) { await gauge("baton_network_refused_connections", at: metrics) >= 1 })
        // The outsider's own side may count the link until the node's refusal
        // closes it; the node never counts it as a peer.
        #expect(await waitUntil(seconds: 10) { outsider.connectedPeers.isEmpty })
        #expect(await gauge("baton_peers_connected", at: metrics) == 3)
        await outsider.shutdown()

        // Raw clients: a frame announcing 1 GiB, and random bytes. The node
        // closes both connections (the reads see end of stream).
        #expect(try await closedByPeer(port: target.2, after: [0x40, 0, 0, 0] + [UInt8](repeating: 7, count: 64)))
        #expect(try await closedByPeer(port: target.2, after: (0..<512).map { _ in UInt8.random(in: 0...255) }))
        #expect(await waitUntil(seconds: 30) { await gauge("baton_network_bad_frames", at: metrics) >= 1 })

        // The attacked node keeps finalizing with the others, on the same state.
        let before = nodes[0].height
        #expect(await waitUntil(seconds: 60) { nodes.allSatisfy { $0.height >= before + 5 } }, "heights \(nodes.map(\.height))")
        let common = nodes.map(\.height).min()!
        #expect(Set(nodes.compactMap { $0.hash(at: common) }).count == 1)
    }

    func gauge(_ name: String, at url: String) async -> Double { await prometheusValue(name, at: url) }

    /// Connects, sends `bytes`, and reports whether the node then closed the
    /// connection (end of stream or reset) within 10 s.
    func closedByPeer(port: Int, after bytes: [UInt8]) async throws -> Bool {
        let socket = try LoopbackSocket(port: port, receiveTimeoutSeconds: 10)
        socket.send(bytes)
        return await socket.closedByPeer()
    }
}
