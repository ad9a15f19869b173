import Foundation
import BatonTestSupport
import Testing

/// Issue 14's API findings, on a real node process: every error is JSON, a
/// wrong method is 405, a node cut off from a quorum does not answer 202, and
/// connections, idle time and event streams are bounded.
@Suite(.processTests) struct HTTPBoundsTests {
    /// One raw request with `Connection: close`; the whole answer.
    func exchange(_ port: Int, _ request: [UInt8]) async throws -> String {
        let socket = try LoopbackSocket(port: port, receiveTimeoutSeconds: 30)
        socket.send(request)
        var answer: [UInt8] = []
        while let chunk = await socket.receive(max: 65_536), !chunk.isEmpty { answer += chunk }
        return String(decoding: answer, as: UTF8.self)
    }

    func request(_ method: String, _ target: String, body: [UInt8] = []) -> [UInt8] {
        Array("\(method) \(target) HTTP/1.1\r\nHost: node\r\nConnection: close\r\nContent-Length: \(body.count)\r\n\r\n".utf8) + body
    }

    func jsonError(_ answer: String) -> String? {
        guard let start = answer.range(of: "\r\n\r\n")?.upperBound,
              let object = try? JSONSerialization.jsonObject(with: Data(answer[start...].utf8)) as? [String: Any] else { return nil }
        return object["error"] as? String
    }

    func openDescriptors(_ pid: Int32) -> Int {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd").count) ?? 0
    }

    @Test func errorsAreJSONAndBoundsHold() async throws {
        let net = try await Testnet(plugin: "kvstore")
        let extra = "\n[http]\nconnections_max = 8\nidle_timeout_ms = 500\nevent_streams_max = 2\n"
        try (try String(contentsOfFile: net.configs[0], encoding: .utf8) + extra).write(toFile: net.configs[0], atomically: true, encoding: .utf8)
        // Node 0 alone: no quorum is reachable.
        let node = try NodeProcess(config: net.configs[0])
        defer { node.dispose() }
        let port = net.basePort + 100
        #expect(await waitUntil(seconds: 60) { (try? await exchange(port, request("GET", "/v1/status")))?.hasPrefix("HTTP/1.1 200") == true },
                "\(node.stderrTail())")

        // 202 promises a quorum was reachable: here it is not.
        let lone = try await exchange(port, request("POST", "/v1/tx", body: Array("k=v".utf8)))
        #expect(lone.hasPrefix("HTTP/1.1 503"), "\(lone)")
        #expect(jsonError(lone)?.contains("reaches members holding 1 of 4 voting weight") == true, "\(lone)")
        let batch = try await exchange(port, request("POST", "/v1/txs", body: [0, 0, 0, 3] + Array("a=b".utf8)))
        #expect(batch.hasPrefix("HTTP/1.1 503") && jsonError(batch) != nil, "\(batch)")

        // Every error has a JSON body.
        let missing = try await exchange(port, request("GET", "/v2/nothing"))
        #expect(missing.hasPrefix("HTTP/1.1 404") && jsonError(missing)?.contains("no such route") == true, "\(missing)")
        let method = try await exchange(port, request("GET", "/v1/tx"))
        #expect(method.hasPrefix("HTTP/1.1 405") && method.contains("Allow: POST"), "\(method)")
        #expect(jsonError(method)?.contains("use POST") == true)
        let large = try await exchange(port, request("POST", "/v1/tx", body: [UInt8](repeating: 0x61, count: 200_000)))
        #expect(large.hasPrefix("HTTP/1.1 413") && jsonError(large) != nil, "\(large)")
        let query = try await exchange(port, request("GET", "/v1/apps/query?request=" + String(repeating: "a", count: 1_000_000)))
        #expect(query.hasPrefix("HTTP/1.1 400") && jsonError(query)?.contains("exceed 80 KiB") == true, "\(query.prefix(300))")

        // Event streams: at most 2.
        let streams = try (0..<2).map { _ in try EventStreamReader(api: net.api(0)) }
        for stream in streams { #expect(await stream.awaitHeaders()) }
        let third = try await exchange(port, request("GET", "/v1/events"))
        #expect(third.hasPrefix("HTTP/1.1 503") && jsonError(third)?.contains("2 event streams are open") == true, "\(third)")

        // 120 idle connections against a cap of 8: the node's descriptors stay
        // bounded, idle ones are closed, and a request is served.
        let before = openDescriptors(node.process.processIdentifier)
        let idle = try (0..<120).map { _ in try LoopbackSocket(port: port, receiveTimeoutSeconds: 1) }
        let during = openDescriptors(node.process.processIdentifier)
        #expect(during <= before + 12, "descriptors \(before) → \(during)")
        #expect(await waitUntil(seconds: 60) { (try? await exchange(port, request("GET", "/v1/status")))?.hasPrefix("HTTP/1.1 200") == true })
        #expect(await idle.prefix(8).asyncAllSatisfy { await $0.closedByPeerWithin(milliseconds: 5_000) })
        withExtendedLifetime(streams) {}
    }
}
