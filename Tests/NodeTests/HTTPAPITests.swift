import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing

/// The HTTP API of real node processes. An extension of `NodeProcessTests`,
/// so that it runs serialized with the other process tests: several
/// clusters of node processes at once on a 2-core machine starve each other.
extension NodeProcessTests {
    struct Reply { let status: Int; let json: [String: Any]; let body: Data }

    func request(_ url: String, method: String = "GET", body: Data? = nil) async throws -> Reply {
        var request = URLRequest(url: URL(string: url)!)
        request.httpMethod = method
        request.httpBody = body
        let (data, response) = try await URLSession.shared.data(for: request)
        let json = (try? JSONSerialization.jsonObject(with: data) as? [String: Any]) ?? [:]
        return Reply(status: (response as? HTTPURLResponse)?.statusCode ?? 0, json: json, body: data)
    }

    func eventually(seconds: Double, _ check: () async -> Bool) async -> Bool {
        // Polls a remote state that offers no event to await; bounded.
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if await check() { return true }
            try? await Task.sleep(for: .milliseconds(200))
        }
        return false
    }

    @Test func transactionsStatusBlocksQueriesEventsAndBadRequests() async throws {
        let configs = try testnet()
        let nodes = try configs.map { try NodeProcessTests.NodeProcess(config: $0) }
        defer { nodes.forEach { $0.stop() } }
        let text = try String(contentsOfFile: configs[0], encoding: .utf8)
        let api = text.split(separator: "\n").first { $0.hasPrefix("api = ") }!.split(separator: "\"")[1]
        let base = "http://\(api)"
        #expect(await eventually(seconds: 60) { nodes.allSatisfy { $0.height >= 5 } },
                "heights \(nodes.map(\.height)); logs: \(nodes.map { $0.stderrTail() })")

        let status = try await request(base + "/v1/status")
        #expect(status.status == 200)
        #expect((status.json["plugin"] as? [String: Any])?["name"] as? String == "robot")
        #expect((status.json["finalizedHeight"] as? Int ?? 0) >= 5)

        // A user command: accepted, gossiped, included, finalized, visible in the robot's state.
        let accepted = try await request(base + "/v1/tx", method: "POST", body: Data("left".utf8))
        #expect(accepted.status == 202)
        // Committed: counted once in the node's metrics (a monotonic record; the
        // robot's own list of recent commands keeps only the last 16).
        let included = await eventually(seconds: 60) {
            guard let reply = try? await request(base + "/metrics") else { return false }
            return String(decoding: reply.body, as: UTF8.self).contains("baton_committed_transactions_total 1\n")
        }
        #expect(included)

        // Bad requests: 4xx with a JSON error; the node stays up.
        let rejected = try await request(base + "/v1/tx", method: "POST", body: Data("jump".utf8))
        #expect(rejected.status == 400 && (rejected.json["error"] as? String)?.contains("forward") == true)
        #expect(try await request(base + "/v1/tx", method: "POST", body: Data()).status == 400)
        #expect(try await request(base + "/v1/blocks/abc").status == 400)
        #expect(try await request(base + "/v1/blocks/99999999").status == 404)
        #expect(try await request(base + "/v1/apps/query?request=teleport").status == 400)
        let block = try await request(base + "/v1/blocks/2")
        #expect(block.status == 200 && block.json["height"] as? Int == 2)
        #expect(try await request(base + "/v1/status").status == 200)

        let metrics = String(decoding: try await request(base + "/metrics").body, as: UTF8.self)
        #expect(metrics.contains("baton_finalized_height") && metrics.contains("baton_commit_latency_ms_bucket"))
        #expect(metrics.contains("baton_peers_connected 3"))
        // The one accepted transaction was committed exactly once, though the
        // next leaders had it too while its block was in flight.
        #expect(metrics.contains("baton_committed_transactions_total 1\n"))

        // Server-sent events: a finalized block arrives on the stream.
        let page = try await request(base + "/")
        #expect(String(decoding: page.body, as: UTF8.self).contains("EventSource(\"/v1/events\")"))
        #expect(try firstEvent(host: String(api.split(separator: ":")[0]), port: Int(api.split(separator: ":")[1])!)
            .contains("event: finalized"))
    }

    /// Reads the event stream over a plain socket until a finalized event.
    func firstEvent(host: String, port: Int) throws -> String {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr(host)
        var timeout = timeval(tv_sec: 15, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { return "" }
        let request = Array("GET /v1/events HTTP/1.1\r\nHost: \(host)\r\nAccept: text/event-stream\r\n\r\n".utf8)
        _ = request.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
        var text = ""
        var chunk = [UInt8](repeating: 0, count: 4096)
        while !text.contains("event: finalized") {
            let count = recv(fd, &chunk, chunk.count, 0)
            guard count > 0 else { break }
            text += String(decoding: chunk[0..<count], as: UTF8.self)
        }
        return text
    }
}
