import BatonAPI
import Foundation
import Hummingbird
import HummingbirdCore
import Logging
import Node
import NIOCore

extension HTTPAPI {
    /// The API while a state sync runs, before the node exists (issue 31,
    /// item 5): `GET /v1/status` answers 200 with the sync's progress
    /// (`StateSyncStatus`, `"phase": "state-sync"`), `GET /` a page that
    /// shows it, every other route 503 "state sync in progress" — a client
    /// or a load balancer learns why, and nothing reaches a store that is
    /// not yet the node's. `baton node` stops it before the node's own API
    /// takes the port.
    public static func syncing(watch: StateSyncWatch, host: String, port: Int,
                               logger: Logger = Logger(label: "baton.api")) -> some ApplicationProtocol {
        let router = Router()
        router.get("/v1/status") { _, _ -> Response in json(.ok, watch.status) }
        router.get("/") { _, _ -> Response in
            Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8"],
                     body: ResponseBody(byteBuffer: ByteBuffer(string: syncingPage(watch.status))))
        }
        for route in routes where !(route.method == .get && (route.path == "/v1/status" || route.path == "/")) {
            router.on(RouterPath(route.path), method: route.method) { _, _ -> Response in
                json(.serviceUnavailable, FlatJSON(["error": .string("state sync in progress: this node serves its API when it has restored its peers' snapshot (GET /v1/status shows how far it is)")]))
            }
        }
        return Application(router: router, configuration: .init(address: .hostname(host, port: port), serverName: "baton"),
                           logger: logger)
    }

    /// A page that reloads itself every 2 s (as often as the sync reports).
    static func syncingPage(_ s: StateSyncStatus) -> String {
        let mib = { (bytes: UInt64) in String(format: "%.1f", Double(bytes) / 1_048_576) }
        return """
        <!doctype html><html><head><meta charset="utf-8"><meta http-equiv="refresh" content="2">
        <title>baton: state sync</title></head><body style="font-family: monospace">
        <h1>State sync</h1><p>\(s.step)</p>
        <p>snapshot height \(s.height): \(s.chunksDone)/\(s.chunks) chunks, \(mib(s.bytesDone))/\(mib(s.bytes)) MiB,
        \(mib(s.bytesPerSecond)) MiB/s, \(s.peers) peers serving, \(s.peersDropped) dropped, \(s.elapsedMs / 1_000) s</p>
        </body></html>
        """
    }
}
