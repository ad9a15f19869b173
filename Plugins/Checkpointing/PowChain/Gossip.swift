import BatonCrypto
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Logging
import ProofOfWorkChain

/// Block gossip between chain nodes over HTTP on loopback: push every accepted
/// block to every peer; pull a missing parent from the peer that sent its
/// child. Fire-and-forget: a peer that is down misses pushes and catches up by
/// pulling when it returns.
struct Gossip: Sendable {
    /// Our own address, sent along so peers can pull from us.
    let own: String
    let peers: [String]
    let logger: Logger
    private let session: URLSession

    init(own: String, peers: [String], logger: Logger) {
        self.own = own
        self.peers = peers.filter { $0 != own }
        self.logger = logger
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = 5
        session = URLSession(configuration: configuration)
    }

    func broadcast(_ block: ChainBlock, except: String?) {
        for peer in peers where peer != except {
            Task { _ = await post(block, to: peer) }
        }
    }

    /// Pushes `blocks` to every peer, parents first, on a task of its own.
    func publish(_ blocks: [ChainBlock]) {
        for peer in peers {
            Task { for block in blocks { _ = await post(block, to: peer) } }
        }
    }

    /// Pushes one block; true if the peer stored it or already had it.
    func post(_ block: ChainBlock, to peer: String) async -> Bool {
        var request = URLRequest(url: URL(string: "http://\(peer)/p2p/block")!)
        request.httpMethod = "POST"
        request.httpBody = Data(block.encoded)
        request.setValue(own, forHTTPHeaderField: "X-From")
        guard let (_, response) = try? await session.data(for: request) else { return false }
        return (response as? HTTPURLResponse)?.statusCode == 200
    }

    /// Pulls `hash` from `peer` and hands it to `node` (which pulls its parent
    /// in turn if that is missing too).
    func fetch(_ hash: Bytes32, from peer: String, into node: ChainNode) {
        Task {
            guard let data = await get("http://\(peer)/p2p/block/\(hash.hex)"),
                  let block = try? ChainBlock.decode(Array(data)), block.hash == hash else { return }
            await node.receive(block, from: peer)
        }
    }

    func fetchTip(from peer: String, into node: ChainNode) {
        Task {
            guard let data = await get("http://\(peer)/chain/tip"),
                  let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
                  let hex = object["hash"] as? String, let hash = Hex.decode(hex).flatMap({ Bytes32($0) }) else { return }
            if await node.block(hash) == nil { fetch(hash, from: peer, into: node) }
        }
    }

    private func get(_ url: String) async -> Data? {
        guard let (data, response) = try? await session.data(from: URL(string: url)!),
              (response as? HTTPURLResponse)?.statusCode == 200 else { return nil }
        return data
    }
}
