import BatonTestSupport
import Foundation
import Testing

/// The other half of the compatibility matrix (OldABITests is the first: old
/// plugins in this host): plugins built against today's header, driven by a
/// host of ABI 1.0 and of 1.1 (Tests/Fixtures/old_host.c). The old host's
/// table and contexts end where an unreadable page begins, and it runs under
/// AddressSanitizer, so a plugin reading a field an old host never wrote dies
/// instead of passing by luck.
@Suite(.blockingWork) struct OldHostTests {
    /// Built once with AddressSanitizer; nil when this compiler cannot (a
    /// bare gcc may lack libasan), and then the tests below do not run.
    static let oldHost: String? = try? CCompiler.programBlocking([Paths.source("Tests/Fixtures/old_host.c")],
                                                         arguments: ["-fsanitize=address"], name: "old_host")

    func run(_ plugin: String, host abi: String, tx: String) async throws -> ProcessRun {
        let host = try #require(Self.oldHost, "old_host.c did not build with -fsanitize=address")
        return try await runProcess(host, [plugin, abi, tx])
    }

    @Test(.enabled(if: Self.oldHost != nil), arguments: ["1.0", "1.1"])
    func todaysPluginsRunInAnOldHost(abi: String) async throws {
        // C, built with AddressSanitizer: the fixture and kvstore.
        let fixture = try await CCompiler.fixture(["FIXTURE_FUNCTIONS"], name: "libfixture-asan.so", flags: ["-fsanitize=address"])
        let kvstore = try await CCompiler.sharedObject([Paths.source("Plugins/KVStore/kvstore.c")], arguments: ["-fsanitize=address"],
                                                 name: "libkvstore-asan.so")
        // The committee transaction makes the fixture look for ABI 1.5's
        // update_committee, which an old host's table (ending at a guard page) lacks.
        let committee = "committee:02" + String(repeating: "ab", count: 32) + ":1:127.0.0.1:7000"
        for (plugin, tx) in [(fixture, "put:a"), (fixture, committee), (kvstore, "k=v"), (Paths.shippedPlugin("robot"), "left")] {
            let run = try await run(plugin, host: abi, tx: tx)
            #expect(run.status == 0 && run.stdout.hasSuffix("ok\n"), "\(plugin) in a \(abi) host: \(run.output.suffix(1500))")
            #expect(run.stdout.contains("abi 1.7"), "\(run.stdout.prefix(200))")
            #expect(run.stdout.contains("commit_block 0"), "\(run.stdout.suffix(600))")
        }
    }

    /// The harness is not vacuous: a plugin that copies the whole context (a
    /// 1.1-sized struct) is caught against a 1.0 host, and passes a 1.1 one.
    @Test(.enabled(if: Self.oldHost != nil)) func aPluginReadingPastAnOldContextIsCaught() async throws {
        let copier = try await CCompiler.fixture(["FIXTURE_COPIES_CONTEXT"], name: "libcopier.so")
        let caught = try await run(copier, host: "1.0", tx: "put:a")
        #expect(caught.status != 0 && !caught.stdout.contains("\nok\n"), "\(caught.output.suffix(800))")
        #expect(caught.stdout.contains("check_tx 0") && !caught.stdout.contains("produce_block 0"), "dies in produce_block")
        #expect(try await run(copier, host: "1.1", tx: "put:a").status == 0)
    }
}
