import BatonCrypto
import Consensus
import Foundation
import Hummingbird
import NIOCore

/// The node's HTTP API (Hummingbird). Bad requests get a 4xx with a JSON
/// `{"error": …}` body; nothing a client sends can stop the node.
///
/// | route | what |
/// | --- | --- |
/// | `POST /v1/tx` | body = one transaction; 202 accepted, 200 duplicate, 400 rejected by the app, 503 mempool full |
/// | `GET /v1/status` | node, view, finalized height/id, app state hash, peers, plugin, mempool size |
/// | `GET /v1/blocks/{height}` | a finalized block |
/// | `GET /v1/apps/query?request=…` | the plugin's answer to `request` |
/// | `GET /v1/events` | server-sent events: finalized blocks, view changes |
/// | `GET /metrics` | Prometheus text: view, finalized height, commit latency, QC/TC views, timeouts, peers, mempool, drops |
/// | `GET /` | a live status page (for the robot: the robot on its grid) |
public enum HTTPAPI {
    public static func application(node: ConsensusNode, host: String, port: Int) -> some ApplicationProtocol {
        let router = Router()
        router.post("/v1/tx") { request, _ -> Response in
            let body = try await request.body.collect(upTo: WireLimits.standard.transactionBytesMax + 1)
            let bytes = Array(buffer: body)
            guard !bytes.isEmpty else { return json(.badRequest, ["error": "empty transaction: send it as the request body"]) }
            switch await node.submit(bytes) {
            case .accepted(let hash): return json(.accepted, ["accepted": true, "hash": hash.hex])
            case .duplicate(let hash): return json(.ok, ["accepted": true, "duplicate": true, "hash": hash.hex])
            case .rejected(let reason): return json(.badRequest, ["error": reason])
            case .full: return json(.serviceUnavailable, ["error": "mempool full; retry later"])
            }
        }
        router.get("/v1/status") { _, _ -> Response in
            await node.refreshPeers()
            let status = await node.status
            let plugin = await node.plugin
            let key = await node.publicKey
            let index = await node.memberIndex
            let mempool = await node.mempool.count
            return json(.ok, [
                "node": key.hex, "member": index.map { Int($0) } as Any, "view": status.view,
                "finalizedHeight": status.finalizedHeight, "finalizedID": status.finalizedID.hex,
                "stateHash": status.stateHash.hex, "peers": status.peers, "mempool": mempool,
                "plugin": ["name": plugin.name, "version": plugin.version],
            ])
        }
        router.get("/v1/blocks/:height") { _, context -> Response in
            guard let text = context.parameters.get("height"), let height = UInt64(text) else {
                return json(.badRequest, ["error": "height must be a non-negative integer"])
            }
            guard let block = try await node.finalizedBlock(at: height) else {
                return json(.notFound, ["error": "no finalized block at height \(height) yet"])
            }
            return json(.ok, [
                "height": block.height, "id": block.id.hex, "view": block.view, "parentID": block.parentID.hex,
                "proposer": Int(block.proposer), "timestampMs": block.timestampMs, "payloadBytes": block.payload.count,
                "payload": Hex.encode(block.payload), "transactions": block.includedTransactions.map(\.hex),
            ])
        }
        router.get("/v1/apps/query") { request, _ -> Response in
            let query = request.uri.queryParameters.get("request") ?? ""
            do {
                let answer = try await node.query(Array(query.utf8))
                let isJSON = answer.first == UInt8(ascii: "{") || answer.first == UInt8(ascii: "[")
                return Response(status: .ok, headers: [.contentType: isJSON ? "application/json" : "application/octet-stream"],
                                body: ResponseBody(byteBuffer: ByteBuffer(bytes: answer)))
            } catch {
                return json(.badRequest, ["error": "\(error)"])
            }
        }
        router.get("/v1/events") { _, _ -> Response in
            let events = node.events.subscribe()
            let frames = events.map { ByteBuffer(string: $0.serverSentEvent) }
            return Response(status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"],
                            body: ResponseBody(asyncSequence: frames))
        }
        router.get("/metrics") { _, _ -> Response in
            await node.refreshPeers()
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                            body: ResponseBody(byteBuffer: ByteBuffer(string: node.metrics.text)))
        }
        router.get("/") { _, _ -> Response in
            Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8"],
                     body: ResponseBody(byteBuffer: ByteBuffer(string: StatusPage.html)))
        }
        return Application(router: router, configuration: .init(address: .hostname(host, port: port),
                                                               serverName: "baton"))
    }

    static func json(_ status: HTTPResponse.Status, _ object: [String: Any]) -> Response {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
        return Response(status: status, headers: [.contentType: "application/json"],
                        body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }
}
