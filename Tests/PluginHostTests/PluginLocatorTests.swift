import BatonTestSupport
import Foundation
import PluginHost
import Testing

@Suite(.blockingWork) struct PluginLocatorTests {
    @Test func findsAPluginByNameInItsDirectory() throws {
        let directory = try makeTemporaryDirectory()
        try FileManager.default.copyItem(atPath: Paths.shippedPlugin("robot"), toPath: directory + "/librobot.so")
        let locator = PluginLocator(directories: [try makeTemporaryDirectory(), directory])
        #expect(try locator.resolve("robot") == directory + "/librobot.so")
        #expect(try locator.load("robot").info.name == "robot")
    }

    @Test func unknownNameSaysWhereItLooked() throws {
        let directory = try makeTemporaryDirectory()
        let error = #expect(throws: PluginLoadError.self) { try PluginLocator(directories: [directory]).resolve("ghost") }
        #expect(error?.kind == .notFound)
        #expect(error?.description.contains(directory) == true)
        #expect(error?.description.contains("libghost.so") == true)
    }

    @Test func discoverListsPluginsReportsBrokenOnesAndSkipsOtherLibraries() async throws {
        let directory = try makeTemporaryDirectory()
        try FileManager.default.copyItem(atPath: Paths.shippedPlugin("kvstore"), toPath: directory + "/libkvstore.so")
        _ = try await CCompiler.fixture(["FIXTURE_NO_ENTRY"], name: "libhelper.so", in: directory)
        _ = try await CCompiler.fixture(["FIXTURE_ABI_MAJOR=9"], name: "libfuture.so", in: directory)
        try "readme".write(toFile: directory + "/notes.txt", atomically: true, encoding: .utf8)

        let found = PluginLocator(directories: [directory]).discover()
        #expect(found.map { URL(fileURLWithPath: $0.path).lastPathComponent } == ["libfuture.so", "libkvstore.so"])
        if case .failure(let error) = found[0].result { #expect(error.kind == .abiMajorMismatch) } else {
            Issue.record("wrong ABI accepted")
        }
        if case .success(let plugin) = found[1].result { #expect(plugin.info.name == "kvstore") } else {
            Issue.record("kvstore not loaded")
        }
    }

    @Test func standardSearchPathIsPluginsThenTheBinaryFolder() {
        #expect(PluginLocator.standard().directories == ["./plugins", Paths.binDirectory])
        #expect(PluginLocator.standard(pluginDirectory: "/opt/x").directories == ["/opt/x"])
    }
}
