import BatonTestSupport
import Foundation
import Testing

/// `baton plugins` as a user runs it: the real binary, real exit codes.
@Suite struct CLITests {
    func baton(_ arguments: [String]) async throws -> ProcessRun {
        try #require(FileManager.default.isExecutableFile(atPath: Paths.binary("baton")), "build `baton` first (swift build)")
        return try await runProcess("baton", arguments)
    }

    @Test func inspectPrintsNameVersionABIDescriptionAndSHA256() async throws {
        for name in ["robot", "kvstore"] {
            let run = try await baton(["plugins", "inspect", name])
            #expect(run.status == 0)
            #expect(run.stdout.contains("name         \(name)"))
            #expect(run.stdout.contains("abi          1.7 (host speaks 1.7)"), "\(run.stdout)")
            // ABI 1.3: the typed functions with their signatures.
            #expect(run.stdout.contains(name == "robot" ? "distance_to(x: i32, y: i32) -> i32" : "get(key: str) -> bytes"), "\(run.stdout)")
            #expect(run.stdout.contains("description"))
            // The SHA-256 of the very file, as a genesis pins it.
            let sha = run.stdout.split(separator: "\n").first { $0.hasPrefix("sha256") }?.split(separator: " ").last
            #expect(sha?.count == 64 && sha?.allSatisfy(\.isHexDigit) == true)
        }
    }

    @Test func inspectOfABadPluginExitsNonZeroWithTheLoadersMessage() async throws {
        let path = try await CCompiler.fixture(["FIXTURE_ABI_MAJOR=3"])
        let run = try await baton(["plugins", "inspect", path])
        #expect(run.status != 0)
        #expect(run.stderr.contains("ABI 3.x"))
        let missing = try await baton(["plugins", "inspect", "ghost", "--plugin-dir", try makeTemporaryDirectory()])
        #expect(missing.status != 0)
        #expect(missing.stderr.contains("plugin 'ghost' not found"))
    }

    @Test func listShowsTheShippedPlugins() async throws {
        let run = try await baton(["plugins", "list", "--plugin-dir", Paths.binDirectory])
        #expect(run.status == 0)
        #expect(run.stdout.contains("robot"))
        #expect(run.stdout.contains("kvstore"))
    }

    @Test func inspectWithConfigChecksIt() async throws {
        let directory = try makeTemporaryDirectory()
        try "{not json".write(toFile: directory + "/robot.json", atomically: true, encoding: .utf8)
        let run = try await baton(["plugins", "inspect", "robot", "--config", directory + "/robot.json"])
        #expect(run.status != 0)
        #expect(run.stderr.contains("robot config"))
    }

    @Test func keygenPrintsAKeyPairAsJSON() async throws {
        let run = try await baton(["keygen"])
        #expect(run.status == 0)
        struct Pair: Decodable { let publicKey: String; let privateKey: String }
        let pair = try JSONDecoder().decode(Pair.self, from: Data(run.stdout.utf8))
        #expect(pair.publicKey.count == 66 && pair.privateKey.count == 64)
        let other = try await JSONDecoder().decode(Pair.self, from: Data(try baton(["keygen"]).stdout.utf8))
        #expect(other.privateKey != pair.privateKey)
    }

    /// `baton bench plugin-call` measures a typed function three ways (a
    /// short run: the figures are the README's, measured in release).
    @Test func pluginCallBenchMeasuresATypedFunctionThreeWays() async throws {
        let run = try await baton(["bench", "plugin-call", "--calls", "2000", "--rounds", "1"])
        #expect(run.status == 0, "\(run.output)")
        for row in ["function valid_key, direct C function pointer", "function valid_key, ffi_call on the prepared cif",
                    "function valid_key, through Application.call"] {
            #expect(run.stdout.contains(row), "\(run.stdout)")
        }
        let bad = try await baton(["bench", "plugin-call", "--calls", "10", "--rounds", "1", "--function", "get", "--args", "[1]"])
        #expect(bad.status != 0 && bad.stderr.contains("argument 'key' must be a string"), "\(bad.output)")
    }
}
