import BatonTestSupport
import Foundation
import Testing

/// Typed functions (ABI 1.3) on real node processes: every node of a fresh
/// robot network answers `POST /v1/apps/call/distance_to` with the distance
/// an independent breadth-first search finds from the robot state that node
/// reports at the same height; kvstore's bytes and bool functions; every
/// wrong request is a JSON 4xx naming what is wrong; and `baton call`.
@Suite(.processTests) struct TypedFunctionAPITests {
    /// Shortest 4-neighbour path on the grid, the test's own oracle.
    static func distance(from start: (Int, Int), to target: (Int, Int), width: Int, height: Int, walls: Set<[Int]>) -> Int {
        guard target.0 >= 0, target.1 >= 0, target.0 < width, target.1 < height, !walls.contains([target.0, target.1])
        else { return -1 }
        var seen: Set<[Int]> = [[start.0, start.1]], frontier = [[start.0, start.1]], steps = 0
        while !frontier.isEmpty {
            if frontier.contains([target.0, target.1]) { return steps }
            frontier = frontier.flatMap { c in [[c[0] + 1, c[1]], [c[0] - 1, c[1]], [c[0], c[1] + 1], [c[0], c[1] - 1]] }
                .filter { $0[0] >= 0 && $0[1] >= 0 && $0[0] < width && $0[1] < height && !walls.contains($0) && seen.insert($0).inserted }
            steps += 1
        }
        return -1
    }

    func call(_ base: String, _ name: String, _ body: String, query: String = "") async throws -> HTTPReply {
        try await httpRequest(base + "/v1/apps/call/\(name)\(query)", method: "POST", body: Data(body.utf8))
    }

    @Test func everyRobotNodeAnswersDistanceToAsTheStateItReportsSays() async throws {
        let net = try await Testnet()
        let nodes = try net.configs.map { try NodeProcess(config: $0) }
        defer { nodes.forEach { $0.dispose() } }
        #expect(await waitUntil(seconds: 60) { nodes.allSatisfy { $0.height >= 3 } }, "heights \(nodes.map(\.height))")

        let listing = try await httpRequest("http://\(net.api(0))/v1/apps/functions")
        let functions = listing.json["functions"] as? [[String: Any]] ?? []
        #expect(functions.map { "\($0["name"] ?? "")\($0["signature"] ?? "")" }
            == ["distance_to(x: i32, y: i32) -> i32", "cell(x: i32, y: i32) -> str"])

        for index in 0..<4 {
            let base = "http://\(net.api(index))"
            // The robot moves every block: read its state, call, read again,
            // and keep an answer only when all three saw the same height.
            var checked = false
            for _ in 0..<50 where !checked {
                let before = try await httpRequest(base + "/v1/apps/query")
                let answer = try await call(base, "distance_to", "[11, 7]")
                let after = try await httpRequest(base + "/v1/apps/query")
                guard answer.status == 200, let height = answer.json["height"] as? Int,
                      before.json["height"] as? Int == height, after.json["height"] as? Int == height,
                      let robot = before.json["robot"] as? [String: Any], let grid = before.json["grid"] as? [String: Any],
                      let x = robot["x"] as? Int, let y = robot["y"] as? Int,
                      let width = grid["width"] as? Int, let rows = grid["height"] as? Int,
                      let obstacles = grid["obstacles"] as? [[String: Int]]
                else { continue }
                let walls = Set(obstacles.map { [$0["x"]!, $0["y"]!] })
                let expected = Self.distance(from: (x, y), to: (11, 7), width: width, height: rows, walls: walls)
                #expect(answer.json["result"] as? Int == expected, "node \(index) at height \(height): robot at (\(x),\(y))")
                #expect(answer.json["type"] as? String == "i32" && answer.json["function"] as? String == "distance_to")
                // Arguments by name work the same.
                let named = try await call(base, "distance_to", #"{"y": 7, "x": 11}"#)
                if named.json["height"] as? Int == height { #expect(named.json["result"] as? Int == expected) }
                checked = true
            }
            #expect(checked, "node \(index): no three reads at one height in 50 tries")
        }

        let base = "http://\(net.api(1))"
        #expect(try await call(base, "cell", "[4, 2]").json["result"] as? String == "obstacle")
        // Wrong requests: JSON 4xx naming the argument, or the function's own refusal.
        let wrongType = try await call(base, "distance_to", #"[1, "seven"]"#)
        #expect(wrongType.status == 400 && (wrongType.json["error"] as? String)?.contains("argument 'y' must be an integer") == true,
                "\(wrongType.json)")
        let tooBig = try await call(base, "distance_to", "[1, 4294967296]")
        #expect(tooBig.status == 400 && (tooBig.json["error"] as? String)?.contains("'y'") == true)
        let arity = try await call(base, "distance_to", "[1]")
        #expect(arity.status == 400 && (arity.json["error"] as? String)?.contains("takes 2 arguments") == true)
        let missing = try await call(base, "distance_to", #"{"x": 1}"#)
        #expect(missing.status == 400 && (missing.json["error"] as? String)?.contains("'y' (i32) is missing") == true)
        let extra = try await call(base, "distance_to", #"{"x": 1, "y": 2, "z": 3}"#)
        #expect(extra.status == 400 && (extra.json["error"] as? String)?.contains("no parameter 'z'") == true)
        #expect(try await call(base, "distance_to", "not json").status == 400)
        let unknown = try await call(base, "teleport", "[]")
        #expect(unknown.status == 404 && (unknown.json["error"] as? String)?.contains("distance_to, cell") == true)
        let outside = try await call(base, "cell", "[40, 2]")
        #expect(outside.status == 400 && (outside.json["error"] as? String)?.contains("outside the 12×8 grid") == true)
        #expect(try await httpRequest(base + "/v1/apps/call/cell").status == 405)

        // The CLI: typed from the listing, the result alone on stdout.
        let cli = try await runProcess("baton", ["call", "--api", net.api(2), "cell", "4", "3"])
        #expect(cli.status == 0 && cli.stdout == "obstacle\n", "\(cli.output)")
        let list = try await runProcess("baton", ["call", "--api", net.api(2)])
        #expect(list.stdout.contains("distance_to(x: i32, y: i32) -> i32"))
        let bad = try await runProcess("baton", ["call", "--api", net.api(2), "cell", "4"])
        #expect(bad.status != 0 && bad.stderr.contains("takes 2 argument"), "\(bad.output)")
        let refused = try await runProcess("baton", ["call", "--api", net.api(2), "cell", "99", "0"])
        #expect(refused.status != 0 && refused.stderr.contains("outside") && refused.stderr.contains("HTTP 400"))
    }

    @Test func kvstoreFunctionsAnswerBytesBoolAndCountsAndNullForAbsentKeys() async throws {
        let net = try await Testnet(plugin: "kvstore")
        let nodes = try net.configs.map { try NodeProcess(config: $0) }
        defer { nodes.forEach { $0.dispose() } }
        let base = "http://\(net.api(3))"
        #expect(await waitUntil(seconds: 60) { nodes.allSatisfy { $0.height >= 2 } })
        #expect(try await httpRequest("http://\(net.api(0))/v1/tx", method: "POST", body: Data("greeting=héllo".utf8)).status == 202)
        let committed = await waitUntil(seconds: 60) {
            (try? await self.call(base, "count", ""))?.json["result"] as? Int == 1
        }
        #expect(committed)
        let value = Array("héllo".utf8)
        #expect(try await call(base, "get", #"["greeting"]"#).json["result"] as? String == value.map { String(format: "%02x", $0) }.joined())
        #expect(try await call(base, "get", #"["greeting"]"#, query: "?bytes=base64").json["result"] as? String
            == Data(value).base64EncodedString())
        #expect(try await call(base, "get", #"["nobody"]"#).json["result"] is NSNull)
        #expect(try await call(base, "has", #"["greeting"]"#).json["result"] as? Bool == true)
        #expect(try await call(base, "has", #"{"key": "nobody"}"#).json["result"] as? Bool == false)
        let refused = try await call(base, "get", #"["a=b"]"#)
        #expect(refused.status == 400 && (refused.json["error"] as? String)?.contains("without '='") == true)
        #expect(try await call(base, "get", "[1]").status == 400)
        #expect(try await call(base, "get", "[]", query: "?bytes=utf16").status == 400)
        let cli = try await runProcess("baton", ["call", "--api", net.api(1), "get", "greeting", "--json"])
        #expect(cli.status == 0 && cli.stdout.contains(#""type":"bytes""#), "\(cli.output)")
    }
}
