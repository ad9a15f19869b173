import BatonTestSupport
import Foundation
import PluginHost
import Testing

/// The host's store callbacks, driven by the fixture.
@Suite(.blockingWork) struct HostStoreTests {
    let library: PluginLibrary

    init() async throws { library = try PluginLibrary.load(path: try await CCompiler.fixture()) }

    @Test func malformedHostCallsAreRefusedNotDereferenced() throws {
        let app = try PluginApplication(library: library, config: Array("abuse-host"), store: InMemoryAppStateStore())
        #expect(try app.checkTransaction([]) == .accept)
        // And a key past the bound is refused inside commit.
        _ = try app.commitBlock(context(height: 1), payload: [])
    }

    @Test func iterationIsOrderedAndSeesTheCommitsOwnWrites() throws {
        let store = InMemoryAppStateStore()
        let app = try PluginApplication(library: library, store: store)
        for (height, payload) in ["put:c", "put:a", "put:b", "del:b"].enumerated() {
            _ = try app.commitBlock(context(height: UInt64(height + 1)), payload: Array(payload))
        }
        #expect(try app.query(Array("scan")).text == "a;c;n;")
        _ = try app.commitBlock(context(height: 5), payload: Array("putscan:b"))
        // Inside the commit, the staged "b" and "n" merge with committed keys, in order.
        #expect(try app.query(Array("get:seen")).text == "a;b;c;n;")
        #expect(try app.query(Array("get:n")) == [5])
    }
}
