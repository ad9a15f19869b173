import BatonTestSupport
import Foundation
import PluginHost
import Testing

/// A third party needs only the header: the README's one `cc` line builds the
/// shipped C example into a plugin the host loads and runs.
@Suite(.blockingWork) struct ThirdPartyPathTests {
    @Test func readmeCCLineBuildsALoadablePlugin() async throws {
        let path = try await CCompiler.sharedObject([Paths.source("Plugins/KVStore/kvstore.c")], name: "libkvstore.so")
        let library = try PluginLibrary.load(path: path)
        #expect(library.info.name == "kvstore")
        let kv = try PluginApplication(library: library, store: InMemoryAppStateStore())
        #expect(try kv.checkTransaction(Array("k=v")) == .accept)
    }

    @Test func readmeShowsTheSameCCLine() throws {
        let readme = try String(contentsOfFile: Paths.source("README.md"), encoding: .utf8)
        #expect(readme.contains("cc -std=c99 -shared -fPIC -I PluginAPI/include Plugins/KVStore/kvstore.c -o plugins/libkvstore.so"))
    }
}
