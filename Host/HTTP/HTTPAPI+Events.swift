import Hummingbird
import Node
import NIOCore

extension HTTPAPI {
    /// The server-sent event stream (bounded in subscribers).
    static func addEventRoutes(to router: Router<BasicRequestContext>, node: ConsensusNode, limits: Limits) {
        router.get("/v1/events") { request, _ -> Response in
            let hashes = request.uri.queryParameters.get("transactions") == "1"
            guard let events = node.events.subscribe(max: limits.eventSubscribersMax) else {
                return json(.serviceUnavailable, ["error": "\(limits.eventSubscribersMax) event streams are open already; retry later"])
            }
            let frames = events.map { ByteBuffer(string: $0.serverSentEvent(hashes: hashes)) }
            return Response(status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"],
                            body: ResponseBody(asyncSequence: frames))
        }
    }
}
