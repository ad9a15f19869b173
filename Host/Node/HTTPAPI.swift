import BatonCrypto
import Consensus
import Foundation
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import PluginHost
import Governance

/// The node's HTTP API (Hummingbird). Every error answer has a JSON
/// `{"error": …}` body; a wrong method is a 405; nothing a client sends can
/// stop the node.
///
/// Bounds (`HTTPAPI.Limits`): at most 256 open connections (more wait in the
/// kernel's backlog, and hold no descriptor of the node's), an idle
/// connection is closed after 30 s, at most 64 event-stream subscribers.
/// | route | what |
/// | --- | --- |
/// | `POST /v1/tx` | body = one transaction; 202 accepted, 200 duplicate, 400 rejected by the app, 409 committed recently, 500 the plugin's check_tx failed, 503 mempool full, no quorum connected, check_tx past its budget or the plugin's side queue full |
/// | `POST /v1/txs` | body = transactions, each a u32 big-endian length then its bytes (≤ 4,096, ≤ 8 MiB); counts of accepted/duplicates/rejected/committed/failed/full |
/// | `GET /v1/status` | node, view, finalized height/id, app state hash, peers, plugin, mempool size, app divergence and refused proposals |
/// | `GET /v1/blocks/{height}` | a finalized block |
/// | `GET /v1/upgrade` | the application in force, open upgrade plans with their approvals, decided plans (`UpgradeSchedule`) |
/// | `GET /v1/evidence` | misbehavior this node saw: double proposals, votes, timeouts, each with both signed messages |
/// | `GET /v1/apps/query?request=…` | the plugin's answer to `request` |
/// | `GET /v1/apps/functions` | the plugin's typed functions (ABI 1.3): name, signature, description |
/// | `POST /v1/apps/call/{name}` | calls one with JSON arguments (`FunctionJSON`); 200 with the result, 400 a wrong argument or the function rejected them (the message names which), 404 no such function, 500 it failed |
/// | `GET /v1/events` | server-sent events: finalized blocks (`?transactions=1`: with their transaction hashes), view changes, `diverged`, `evidence` |
/// | `GET /metrics` | Prometheus text: view, finalized height, commit latency, QC/TC views, timeouts, peers, mempool, drops |
/// | `GET /` | a live status page (for the robot: the robot on its grid) |
public enum HTTPAPI {
    public struct Limits: Sendable, Hashable {
        public var connectionsMax = 256
        public var idleTimeout: Duration = .seconds(30)
        public var eventSubscribersMax = 64
        public init() {}
    }

    /// Every route, for 405s (`JSONErrorMiddleware`).
    static let routes: [(method: HTTPRequest.Method, path: String)] = [
        (.post, "/v1/tx"), (.post, "/v1/txs"), (.get, "/v1/status"), (.get, "/v1/evidence"), (.get, "/v1/blocks/:height"),
        (.get, "/v1/upgrade"), (.get, "/v1/committee"), (.get, "/v1/committee/changes"), (.get, "/v1/stages"), (.get, "/v1/apps/query"), (.get, "/v1/apps/functions"), (.post, "/v1/apps/call/:name"), (.get, "/v1/events"),
        (.get, "/metrics"), (.get, "/"),
    ]

    /// Bound of a typed function call's JSON arguments.
    static let callBytesMax = 1 << 20

    public static func application(node: ConsensusNode, host: String, port: Int, limits: Limits = Limits(),
                                   logger: Logger = Logger(label: "baton.api")) -> some ApplicationProtocol {
        let router = Router()
        router.add(middleware: JSONErrorMiddleware(routes: routes))
        router.post("/v1/tx") { request, _ -> Response in
            let body = try await request.body.collect(upTo: WireLimits.standard.transactionBytesMax + 1)
            let bytes = Array(buffer: body)
            guard !bytes.isEmpty else { return json(.badRequest, ["error": "empty transaction: send it as the request body"]) }
            switch await node.submit(bytes) {
            case .accepted(let hash): return json(.accepted, FlatJSON(["accepted": .bool(true), "hash": .string(hash.hex)]))
            case .duplicate(let hash):
                return json(.ok, FlatJSON(["accepted": .bool(true), "duplicate": .bool(true), "hash": .string(hash.hex)]))
            case .rejected(let reason): return json(.badRequest, FlatJSON(["error": .string(reason)]))
            case .alreadyCommitted(let hash, let height):
                return json(.conflict, FlatJSON(["error": .string("transaction \(hash.hex) was committed at height \(height); a transaction is committed once (make it unique, e.g. with a nonce, to do it again)"),
                                                 "hash": .string(hash.hex), "height": .int(Int(height))]))
            case .failed(let reason): return json(.internalServerError, FlatJSON(["error": .string(reason)]))
            case .full: return json(.serviceUnavailable, ["error": "mempool full; retry later"])
            case .unavailable(let reason): return json(.serviceUnavailable, FlatJSON(["error": .string(reason)]))
            case .noQuorum(let connected, let total): return noQuorum(connected, total)
            }
        }
        router.post("/v1/txs") { request, _ -> Response in
            let body = try await request.body.collect(upTo: Self.batchBytesMax + 1)
            guard body.readableBytes <= Self.batchBytesMax else {
                return json(.contentTooLarge, ["error": "batch over \(Self.batchBytesMax) bytes; split it"])
            }
            let transactions: [[UInt8]]
            switch Self.decodeBatch(Array(buffer: body)) {
            case .success(let decoded): transactions = decoded
            case .failure(let error): return json(.badRequest, ["error": error.description])
            }
            let result = await node.submit(batch: transactions)
            if case .noQuorum(let connected, let total) = result.noQuorum { return noQuorum(connected, total) }
            var answer = FlatJSON(["accepted": .int(result.accepted), "duplicates": .int(result.duplicates),
                                   "rejected": .int(result.rejected), "committed": .int(result.committed),
                                   "failed": .int(result.failed), "full": .int(result.full),
                                   "unavailable": .int(result.unavailable)])
            if let reason = result.firstRejection { answer.add("firstRejection", .string(reason)) }
            if let reason = result.unavailableReason { answer.add("unavailableReason", .string(reason)) }
            let refused = result.full + result.unavailable
            return json(refused > 0 && result.accepted == 0 ? .serviceUnavailable : .ok, answer)
        }
        router.get("/v1/status") { _, _ -> Response in
            // The loop may be inside a stuck plugin call (the actor is busy):
            // past `statusWaitMs`, answer from what it last published.
            await Deadline.first(within: .milliseconds(Self.statusWaitMs)) {
                await Self.status(of: node)
            } orElse: {
                Self.publishedStatus(of: node)
            }
        }
        router.get("/v1/upgrade") { _, _ -> Response in
            let upgrades = await node.upgrades
            let height = await node.status.finalizedHeight
            let plugin = await node.plugin
            var answer = UpgradeJSON.status(upgrades, height: height, chainID: node.chainID, running: plugin)
            answer["node"] = await node.upgradeReadiness.json
            return json(.ok, answer)
        }
        router.get("/v1/stages") { request, _ -> Response in
            // Where committed transactions' time went on this node (StageTimes).
            let from = request.uri.queryParameters.get("fromHeight").flatMap { UInt64($0) } ?? 0
            let (samples, stages) = await node.stageTimes.percentiles(fromHeight: from)
            return json(.ok, ["samples": samples, "fromHeight": from, "stagesMs": stages])
        }
        router.get("/v1/committee/changes") { _, _ -> Response in
            // Every switch record, oldest first: self-verifying from the genesis
            // committee (each under the committee before it), so a verifier
            // need not trust the node that serves them.
            let records = await node.epochRecords
            return json(.ok, ["changes": records.map { Hex.encode($0.change.encoded) }])
        }
        router.get("/v1/committee") { _, _ -> Response in
            return json(.ok, await node.committeeSnapshot.json)
        }
        router.get("/v1/evidence") { _, _ -> Response in
            let log = await node.evidence
            let chainID = await node.chainID
            return json(.ok, ["total": log.total, "kept": log.records.count, "capacity": log.capacity,
                              "evidence": log.records.map { $0.json(chainID: chainID) }])
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
            } catch let error as SideCallError {
                return json(.serviceUnavailable, ["error": error.description])
            } catch let error as ApplicationError where error.kind == .crashed {
                return json(.serviceUnavailable, ["error": "\(error)"])
            } catch {
                return json(.badRequest, ["error": "\(error)"])
            }
        }
        router.get("/v1/apps/functions") { _, _ -> Response in
            let plugin = await node.plugin
            return json(.ok, ["plugin": plugin.name, "functions": node.functions.map(FunctionJSON.listing)])
        }
        router.post("/v1/apps/call/:name") { request, context -> Response in
            let name = context.parameters.get("name") ?? ""
            let encoding = FunctionJSON.BytesEncoding(rawValue: request.uri.queryParameters.get("bytes") ?? "hex")
            guard let encoding else { return json(.badRequest, ["error": "bytes= must be hex or base64"]) }
            let body = try await request.body.collect(upTo: Self.callBytesMax + 1)
            guard body.readableBytes <= Self.callBytesMax else {
                return json(.contentTooLarge, ["error": "arguments over \(Self.callBytesMax) bytes"])
            }
            let functions = node.functions
            guard let function = functions.first(where: { $0.name == name }) else {
                return json(.notFound, ["error": "\(FunctionCallError.unknownFunction(name, known: functions.map(\.name)))"])
            }
            let arguments: [FunctionValue]
            do { arguments = try FunctionJSON.arguments(Array(buffer: body), for: function, bytes: encoding) } catch {
                return json(.badRequest, ["error": "\(error)", "signature": "\(function.signature)"])
            }
            do {
                let (result, height) = try await node.call(name, arguments: arguments)
                return json(.ok, FlatJSON(["function": .string(name), "result": FunctionJSON.flat(result, bytes: encoding),
                                           "type": .string("\(function.signature.result)"), "height": .raw(String(height))]))
            } catch let error as FunctionCallError {
                switch error {
                case .failed: return json(.internalServerError, ["error": "\(error)"])
                case .unknownFunction: return json(.notFound, ["error": "\(error)"])
                default: return json(.badRequest, ["error": "\(error)", "signature": "\(function.signature)"])
                }
            } catch let error as SideCallError {
                return json(.serviceUnavailable, ["error": error.description])
            }
        }
        router.get("/v1/events") { request, _ -> Response in
            let hashes = request.uri.queryParameters.get("transactions") == "1"
            guard let events = node.events.subscribe(max: limits.eventSubscribersMax) else {
                return json(.serviceUnavailable, ["error": "\(limits.eventSubscribersMax) event streams are open already; retry later"])
            }
            let frames = events.map { ByteBuffer(string: $0.serverSentEvent(hashes: hashes)) }
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
        return Application(router: router,
                           server: .http1(configuration: .init(additionalChannelHandlers: [ParseErrorResponder()],
                                                                               idleTimeout: TimeAmount(limits.idleTimeout))),
                           configuration: .init(address: .hostname(host, port: port), serverName: "baton",
                                                availableConnectionsDelegate: MaximumAvailableConnections(limits.connectionsMax, logger: logger)),
                           logger: logger)
    }

    /// Serves the API for `node` until the task is cancelled (in-process tests).
    public static func serve(node: ConsensusNode, host: String, port: Int) async throws {
        try await application(node: node, host: host, port: port).run()
    }

    /// What a node cut off from a quorum answers instead of 202.
    static func noQuorum(_ connected: UInt64, _ total: UInt64) -> Response {
        json(.serviceUnavailable, ["error": "not accepted: this node reaches members holding \(connected) of \(total) voting weight, and more than two thirds are needed to finalize anything; retry later or send it to another node",
                                   "reachableWeight": connected, "totalWeight": total])
    }

    /// `POST /v1/txs` bounds: at most this many bytes and transactions a request.
    public static let batchBytesMax = 8 * 1024 * 1024
    public static let batchTransactionsMax = 4_096

    public struct BatchError: Error, CustomStringConvertible, Sendable { public let description: String }

    /// The batch body: transactions one after another, each a u32 big-endian
    /// length then its bytes.
    public static func decodeBatch(_ bytes: [UInt8]) -> Result<[[UInt8]], BatchError> {
        var transactions: [[UInt8]] = []
        var at = 0
        while at < bytes.count {
            guard bytes.count - at >= 4 else { return .failure(BatchError(description: "truncated length at byte \(at)")) }
            let length = Int(bytes[at]) << 24 | Int(bytes[at + 1]) << 16 | Int(bytes[at + 2]) << 8 | Int(bytes[at + 3])
            at += 4
            guard length > 0, length <= WireLimits.standard.transactionBytesMax else {
                return .failure(BatchError(description: "transaction \(transactions.count) has length \(length); 1…\(WireLimits.standard.transactionBytesMax)"))
            }
            guard bytes.count - at >= length else { return .failure(BatchError(description: "transaction \(transactions.count) is truncated")) }
            transactions.append(Array(bytes[at..<at + length]))
            at += length
            guard transactions.count <= batchTransactionsMax else {
                return .failure(BatchError(description: "more than \(batchTransactionsMax) transactions; split the batch"))
            }
        }
        guard !transactions.isEmpty else { return .failure(BatchError(description: "empty batch")) }
        return .success(transactions)
    }

    /// The inverse of `decodeBatch`, for clients.
    public static func encodeBatch(_ transactions: [[UInt8]]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(transactions.reduce(0) { $0 + 4 + $1.count })
        for tx in transactions {
            let n = UInt32(tx.count)
            out += [UInt8(n >> 24), UInt8(n >> 16 & 0xFF), UInt8(n >> 8 & 0xFF), UInt8(n & 0xFF)]
            out += tx
        }
        return out
    }

    static func json(_ status: HTTPResponse.Status, _ object: FlatJSON) -> Response {
        Response(status: status, headers: [.contentType: "application/json"],
                 body: ResponseBody(byteBuffer: ByteBuffer(string: object.rendered)))
    }

    static func json(_ status: HTTPResponse.Status, _ object: [String: Any]) -> Response {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
        return Response(status: status, headers: [.contentType: "application/json"],
                        body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }
}
