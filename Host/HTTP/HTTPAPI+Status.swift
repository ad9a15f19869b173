import BatonAPI
import Hummingbird
import Node
import NIOCore

extension HTTPAPI {
    /// What the node says of itself: `/v1/status`, `/v1/stages`, `/metrics` and the status page.
    static func addStatusRoutes(to router: Router<BasicRequestContext>, node: ConsensusNode) {
        router.get("/v1/status") { _, _ -> Response in
            // The loop may be inside a stuck plugin call (the actor is busy):
            // past `statusWaitMs`, answer from what it last published.
            await Deadline.first(within: .milliseconds(Self.statusWaitMs)) {
                await Self.status(of: node)
            } orElse: {
                Self.publishedStatus(of: node)
            }
        }
        router.get("/v1/stages") { request, _ -> Response in
            // Where committed transactions' time went on this node (StageTimes).
            let from = request.uri.queryParameters.get("fromHeight").flatMap { UInt64($0) } ?? 0
            let (samples, stages) = await node.stageTimes.percentiles(fromHeight: from)
            return json(.ok, StageTimesReport(samples: samples, fromHeight: from, stagesMs: stages))
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
    }
}
