import Foundation
import Testing

/// `baton plugins` as a user runs it: the real binary, real exit codes.
@Suite struct CLITests {
    struct Run { let status: Int32; let stdout: String; let stderr: String }

    func baton(_ arguments: [String]) throws -> Run {
        let binary = Paths.binDirectory + "/baton"
        try #require(FileManager.default.isExecutableFile(atPath: binary), "build `baton` first (swift build)")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Run(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
                   stderr: String(decoding: stderr, as: UTF8.self))
    }

    @Test func inspectPrintsNameVersionABIAndDescription() throws {
        for name in ["robot", "kvstore"] {
            let run = try baton(["plugins", "inspect", name])
            #expect(run.status == 0)
            #expect(run.stdout.contains("name         \(name)"))
            #expect(run.stdout.contains("abi          1.1 (host speaks 1.1)"))
            #expect(run.stdout.contains("description"))
        }
    }

    @Test func inspectOfABadPluginExitsNonZeroWithTheLoadersMessage() throws {
        let path = try CCompiler.fixture(["FIXTURE_ABI_MAJOR=3"])
        let run = try baton(["plugins", "inspect", path])
        #expect(run.status != 0)
        #expect(run.stderr.contains("ABI 3.x"))
        let missing = try baton(["plugins", "inspect", "ghost", "--plugin-dir", try makeTemporaryDirectory()])
        #expect(missing.status != 0)
        #expect(missing.stderr.contains("plugin 'ghost' not found"))
    }

    @Test func listShowsTheShippedPlugins() throws {
        let run = try baton(["plugins", "list", "--plugin-dir", Paths.binDirectory])
        #expect(run.status == 0)
        #expect(run.stdout.contains("robot"))
        #expect(run.stdout.contains("kvstore"))
    }

    @Test func inspectWithConfigChecksIt() throws {
        let directory = try makeTemporaryDirectory()
        try "{not json".write(toFile: directory + "/robot.json", atomically: true, encoding: .utf8)
        let run = try baton(["plugins", "inspect", "robot", "--config", directory + "/robot.json"])
        #expect(run.status != 0)
        #expect(run.stderr.contains("robot config"))
    }

    @Test func keygenPrintsAKeyPairAsJSON() throws {
        let run = try baton(["keygen"])
        #expect(run.status == 0)
        struct Pair: Decodable { let publicKey: String; let privateKey: String }
        let pair = try JSONDecoder().decode(Pair.self, from: Data(run.stdout.utf8))
        #expect(pair.publicKey.count == 66 && pair.privateKey.count == 64)
        let other = try JSONDecoder().decode(Pair.self, from: Data(try baton(["keygen"]).stdout.utf8))
        #expect(other.privateKey != pair.privateKey)
    }
}
