import BatonCrypto
import Checkpointing
import Foundation
import HTTPTypes
import Hummingbird
import ProofOfWorkChain

/// The chain node's HTTP interface.
///
/// | route | for | what |
/// | --- | --- | --- |
/// | `GET /chain/tip` | interpreter | best tip: height, hash, work, latest checkpoint |
/// | `GET /chain/block/{height}` | interpreter | the best chain's block header at a height |
/// | `GET /chain/headers?from=H&count=N` | interpreter | a range of the best chain (N ≤ 512) |
/// | `POST /chain/checkpoint` | interpreter | body = a checkpoint certificate; 200, or 400 with the reason |
/// | `GET /chain/certificate/{height}` | anyone | the certificate of the checkpoint at a height (binary) |
/// | `GET /chain/timings` | measurements | when each height was reached and each checkpoint became known |
/// | `GET /status` | people | JSON status |
/// | `GET /` | people | the chain with its checkpoints marked, live |
/// | `POST /p2p/block`, `GET /p2p/block/{hash}` | peers | gossip |
enum ChainAPI {
    static func application(node: ChainNode, host: String, port: Int) -> some ApplicationProtocol {
        let router = Router()
        router.get("/chain/tip") { _, _ -> Response in
            let tip = await node.tipBlock()
            let status = await node.status
            return json(.ok, ["height": tip.height, "hash": tip.hash.hex, "work": status.work,
                              "timestampMs": tip.header.timestampMs,
                              "checkpoint": status.latestCheckpoint.map { ["height": $0.height, "hash": $0.hash.hex] } as Any])
        }
        router.get("/chain/block/:height") { _, context -> Response in
            guard let height = context.parameters.get("height").flatMap(UInt64.init) else {
                return json(.badRequest, ["error": "height must be a non-negative integer"])
            }
            guard let block = await node.bestBlock(at: height) else {
                return json(.notFound, ["error": "the best chain has no block at height \(height)"])
            }
            return json(.ok, await describe(block, node: node))
        }
        router.get("/chain/headers") { request, _ -> Response in
            let from = request.uri.queryParameters.get("from").flatMap(UInt64.init) ?? 0
            let count = min(request.uri.queryParameters.get("count").flatMap(UInt64.init) ?? 64, 512)
            var headers: [[String: Any]] = []
            for height in from..<(from + count) {
                guard let block = await node.bestBlock(at: height) else { break }
                headers.append(await describe(block, node: node))
            }
            return json(.ok, ["headers": headers])
        }
        router.post("/chain/checkpoint") { request, _ -> Response in
            let body = try await request.body.collect(upTo: CheckpointCertificate.bytesMax + 1)
            switch await node.submit(certificate: Array(buffer: body)) {
            case .success(let verified):
                return json(.ok, ["accepted": true, "height": verified.checkpoint.height, "hash": verified.checkpoint.hash.hex,
                                  "batonHeight": verified.batonHeight])
            case .failure(let reason):
                return json(.badRequest, ["error": reason.description])
            }
        }
        router.get("/chain/certificate/:height") { _, context -> Response in
            guard let height = context.parameters.get("height").flatMap(UInt64.init),
                  let certificate = await node.state.checkpoints[height]?.certificate else {
                return json(.notFound, ["error": "no certified checkpoint at that height"])
            }
            return Response(status: .ok, headers: [.contentType: "application/octet-stream"],
                            body: ResponseBody(byteBuffer: ByteBuffer(bytes: certificate)))
        }
        router.get("/chain/timings") { _, _ -> Response in
            // For measurements: when the best chain first reached each height,
            // and when each checkpoint became known here (ms since the epoch).
            let reached = await node.reachedMs, certified = await node.certifiedMs
            return json(.ok, ["reached": Dictionary(uniqueKeysWithValues: reached.map { ("\($0.key)", $0.value) }),
                              "certified": Dictionary(uniqueKeysWithValues: certified.map { ("\($0.key)", $0.value) })])
        }
        router.get("/status") { _, _ -> Response in
            let s = await node.status
            var object: [String: Any] = [
                "height": s.height, "tip": s.tip.hex, "work": s.work, "checkpoints": s.checkpoints, "reorgs": s.reorgs,
                "deepestReorg": s.deepestReorg, "refusedBlocks": s.refusedBlocks, "orphans": s.orphans,
                "federation": s.federation, "peers": node.gossip.peers,
                "latestCheckpoint": s.latestCheckpoint.map { ["height": $0.height, "hash": $0.hash.hex] } as Any,
            ]
            if let attack = await node.attack {
                object["attack"] = ["privateHeight": attack.privateHeight, "published": attack.published]
            }
            return json(.ok, object)
        }
        router.get("/") { _, _ -> Response in
            Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8"],
                     body: ResponseBody(byteBuffer: ByteBuffer(string: ChainPage.html)))
        }
        router.post("/p2p/block") { request, _ -> Response in
            let body = try await request.body.collect(upTo: CheckpointCertificate.bytesMax + 1_000_000)
            guard let block = try? ChainBlock.decode(Array(buffer: body)) else {
                return json(.badRequest, ["error": "not a chain block"])
            }
            let from = request.headers[HTTPField.Name("X-From")!]
            switch await node.receive(block, from: from) {
            case .added, .duplicate, .orphan: return json(.ok, ["hash": block.hash.hex])
            case .refused(let reason): return json(.badRequest, ["error": reason])
            }
        }
        router.get("/p2p/block/:hash") { _, context -> Response in
            guard let hash = context.parameters.get("hash").flatMap(Hex.decode).flatMap({ Bytes32($0) }),
                  let block = await node.block(hash) else {
                return json(.notFound, ["error": "unknown block"])
            }
            return Response(status: .ok, headers: [.contentType: "application/octet-stream"],
                            body: ResponseBody(byteBuffer: ByteBuffer(bytes: block.encoded)))
        }
        return Application(router: router, configuration: .init(address: .hostname(host, port: port), serverName: "powchain"))
    }

    static func describe(_ block: ChainBlock, node: ChainNode) async -> [String: Any] {
        let checkpointed = await node.state.checkpoints[block.height]?.hash == block.hash
        return ["height": block.height, "hash": block.hash.hex, "parent": block.parent.hex,
                "timestampMs": block.header.timestampMs, "miner": Int(block.header.miner),
                "checkpointHeight": block.header.checkpointHeight, "carriesCertificate": !block.certificate.isEmpty,
                "checkpointed": checkpointed]
    }

    static func json(_ status: HTTPResponse.Status, _ object: [String: Any]) -> Response {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
        return Response(status: status, headers: [.contentType: "application/json"],
                        body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }
}
