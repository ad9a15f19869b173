import BatonCrypto
import BatonNetwork
import Consensus
import Foundation
import Node
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Outsiders and broken peers against real node processes. An extension of
/// `NodeProcessTests` so it runs serialized with the other clusters.
extension NodeProcessTests {
    @Test func outsidersAndGarbageFramesAreRefusedWhileTheClusterRunsOn() async throws {
        let configs = try testnet()
        let nodes = try configs.map { try NodeProcess(config: $0) }
        defer { nodes.forEach { $0.stop() } }
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
        #expect(await eventually(seconds: 30) { await gauge("baton_network_refused_connections", at: metrics) >= 1 })
        // The outsider's own side may count the link until the node's refusal
        // closes it; the node never counts it as a peer.
        #expect(await eventually(seconds: 10) { outsider.connectedPeers.isEmpty })
        #expect(await gauge("baton_peers_connected", at: metrics) == 3)
        await outsider.shutdown()

        // Raw clients: a frame announcing 1 GiB, and random bytes. The node
        // closes both connections (the reads see end of stream).
        #expect(try closedByPeer(port: target.2, after: [0x40, 0, 0, 0] + [UInt8](repeating: 7, count: 64)))
        #expect(try closedByPeer(port: target.2, after: (0..<512).map { _ in UInt8.random(in: 0...255) }))
        #expect(await eventually(seconds: 30) { await gauge("baton_network_bad_frames", at: metrics) >= 1 })

        // The attacked node keeps finalizing with the others, on the same state.
        let before = nodes[0].height
        #expect(await waitUntil(seconds: 60) { nodes.allSatisfy { $0.height >= before + 5 } }, "heights \(nodes.map(\.height))")
        let common = nodes.map(\.height).min()!
        #expect(Set(nodes.compactMap { $0.hash(at: common) }).count == 1)
    }

    /// The value of an unlabelled Prometheus gauge, or -1 if unreadable.
    func gauge(_ name: String, at url: String) async -> Double {
        guard let reply = try? await request(url) else { return -1 }
        let line = String(decoding: reply.body, as: UTF8.self).split(separator: "\n").first { $0.hasPrefix(name + " ") }
        return line.flatMap { Double($0.split(separator: " ")[1]) } ?? -1
    }

    /// Connects, sends `bytes`, and reports whether the node then closed the
    /// connection (end of stream or reset) within 10 s.
    func closedByPeer(port: Int, after bytes: [UInt8]) throws -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw CocoaError(.fileReadUnknown) }
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        _ = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        var sink = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = recv(fd, &sink, sink.count, 0)
            if n == 0 { return true }
            if n < 0 { return errno == ECONNRESET }  // EAGAIN: still open after 10 s
        }
    }
}
