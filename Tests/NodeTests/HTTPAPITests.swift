import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import BatonAPI
import BatonTestSupport
import Testing

/// The HTTP API of real node processes.
@Suite(.processTests) struct HTTPAPITests {
    @Test func transactionsStatusBlocksQueriesEventsAndBadRequests() async throws {
        let configs = try await Testnet().configs
        let nodes = try configs.map { try NodeProcess(config: $0) }
        defer { nodes.forEach { $0.dispose() } }
        let text = try String(contentsOfFile: configs[0], encoding: .utf8)
        let api = text.split(separator: "\n").first { $0.hasPrefix("api = ") }!.split(separator: "\"")[1]
        let base = "http://\(api)"
        #expect(await waitUntil(seconds: 60) { nodes.allSatisfy { $0.height >= 5 } },
                "heights \(nodes.map(\.height)); logs: \(nodes.map { $0.stderrTail() })")

        let status = try await httpRequest(base + "/v1/status")
        #expect(status.status == 200)
        let plugin = status.json["plugin"] as? [String: Any]
        #expect(plugin?["name"] as? String == "robot")
        #expect((plugin?["sha256"] as? String)?.count == 64 && plugin?["pinned"] as? Bool == false)
        #expect(status.json["appDiverged"] is NSNull && status.json["evidence"] as? Int == 0)
        #expect((status.json["finalizedHeight"] as? Int ?? 0) >= 5)
        // The API model (BatonAPI) reads every answer back, as the CLI and the benchmarks do.
        let typed = try #require(APIJSON.decode(NodeStatus.self, from: status.body), "\(status.json)")
        #expect(typed.plugin.name == "robot" && typed.member != nil && typed.appDiverged == nil && typed.leaders.members.count == 4)
        let committee = try #require(APIJSON.decode(CommitteeStatus.self, from: try await httpRequest(base + "/v1/committee").body))
        #expect(committee.members.count == 4 && committee.thisNode.member == typed.member && committee.chainID == typed.chainID)
        let upgrade = try #require(APIJSON.decode(UpgradeStatus.self, from: try await httpRequest(base + "/v1/upgrade").body))
        #expect(upgrade.application.plugin == "robot" && upgrade.application.plan == nil && upgrade.open.isEmpty)
        #expect(APIJSON.decode(StageTimesReport.self, from: try await httpRequest(base + "/v1/stages").body) != nil)

        // A user command: accepted, gossiped, included, finalized, visible in the robot's state.
        let accepted = try await httpRequest(base + "/v1/tx", method: "POST", body: Data("left".utf8))
        #expect(accepted.status == 202)
        // Committed: counted once in the node's metrics (a monotonic record; the
        // robot's own list of recent commands keeps only the last 16).
        let included = await waitUntil(seconds: 60) {
            guard let reply = try? await httpRequest(base + "/metrics") else { return false }
            return String(decoding: reply.body, as: UTF8.self).contains("baton_committed_transactions_total 1\n")
        }
        #expect(included)

        // Bad requests: 4xx with a JSON error; the node stays up.
        let rejected = try await httpRequest(base + "/v1/tx", method: "POST", body: Data("jump".utf8))
        #expect(rejected.status == 400 && (rejected.json["error"] as? String)?.contains("forward") == true)
        #expect(try await httpRequest(base + "/v1/tx", method: "POST", body: Data()).status == 400)
        #expect(try await httpRequest(base + "/v1/blocks/abc").status == 400)
        #expect(try await httpRequest(base + "/v1/blocks/99999999").status == 404)
        #expect(try await httpRequest(base + "/v1/apps/query?request=teleport").status == 400)
        let block = try await httpRequest(base + "/v1/blocks/2")
        #expect(block.status == 200 && block.json["height"] as? Int == 2)
        #expect(APIJSON.decode(FinalizedBlock.self, from: block.body)?.height == 2)
        #expect(try await httpRequest(base + "/v1/status").status == 200)

        let metrics = String(decoding: try await httpRequest(base + "/metrics").body, as: UTF8.self)
        #expect(metrics.contains("baton_finalized_height") && metrics.contains("baton_commit_latency_ms_bucket"))
        #expect(metrics.contains("baton_peers_connected 3"))
        // The one accepted transaction was committed exactly once, though the
        // next leaders had it too while its block was in flight.
        #expect(metrics.contains("baton_committed_transactions_total 1\n"))
        // Once committed, the same bytes are refused as committed (409); a nonce makes them new.
        let again = try await httpRequest(base + "/v1/tx", method: "POST", body: Data("left".utf8))
        #expect(again.status == 409 && (again.json["error"] as? String)?.contains("was committed at height") == true,
                "\(again.status) \(again.json)")
        #expect(try await httpRequest(base + "/v1/tx", method: "POST", body: Data("left 2".utf8)).status == 202)
        let evidence = try await httpRequest(base + "/v1/evidence")
        #expect(evidence.status == 200 && (evidence.json["evidence"] as? [Any])?.isEmpty == true)
        #expect(APIJSON.decode(EvidenceListing.self, from: evidence.body)?.evidence.isEmpty == true)

        // Server-sent events: a finalized block arrives on the stream.
        let page = try await httpRequest(base + "/")
        #expect(String(decoding: page.body, as: UTF8.self).contains("EventSource(\"/v1/events\")"))
        #expect(try await firstEvent(host: String(api.split(separator: ":")[0]), port: Int(api.split(separator: ":")[1])!)
            .contains("event: finalized"))
    }

    /// Reads the event stream over a plain socket until a finalized event.
    func firstEvent(host: String, port: Int) async throws -> String {
        let socket = try LoopbackSocket(host: host, port: port, receiveTimeoutSeconds: 15)
        socket.send(Array("GET /v1/events HTTP/1.1\r\nHost: \(host)\r\nAccept: text/event-stream\r\n\r\n".utf8))
        var text = ""
        while !text.contains("event: finalized"), let chunk = await socket.receive(), !chunk.isEmpty {
            text += String(decoding: chunk, as: UTF8.self)
        }
        return text
    }
}
