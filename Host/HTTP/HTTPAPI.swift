import BatonAPI
import BatonCrypto
import Consensus
import Foundation
import Hummingbird
import Node
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

    public static func application(node: ConsensusNode, host: String, port: Int, limits: Limits = Limits(),
                                   logger: Logger = Logger(label: "baton.api")) -> some ApplicationProtocol {
        let router = Router()
        router.add(middleware: JSONErrorMiddleware(routes: routes))
        addTransactionRoutes(to: router, node: node)
        addStatusRoutes(to: router, node: node)
        addGovernanceRoutes(to: router, node: node)
        addBlockRoutes(to: router, node: node)
        addAppRoutes(to: router, node: node)
        addEventRoutes(to: router, node: node, limits: limits)
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

    static func json(_ status: HTTPResponse.Status, _ object: FlatJSON) -> Response {
        Response(status: status, headers: [.contentType: "application/json"],
                 body: ResponseBody(byteBuffer: ByteBuffer(string: object.rendered)))
    }

    /// An answer of the API model (`BatonAPI`), or a flat `["error": …]`.
    static func json(_ status: HTTPResponse.Status, _ value: some Encodable) -> Response {
        Response(status: status, headers: [.contentType: "application/json"],
                 body: ResponseBody(byteBuffer: ByteBuffer(bytes: APIJSON.encode(value))))
    }
}
