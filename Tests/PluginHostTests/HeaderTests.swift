import BatonTestSupport
import Testing

/// baton_plugin.h is C99 a third party can build with warnings as errors,
/// under clang and gcc alike (its nullability annotations are a Clang
/// extension, silenced for the header alone).
@Suite(.blockingWork) struct HeaderTests {
    @Test func pluginsBuildPedanticWithEveryCompiler() async throws {
        #expect(!CCompiler.all.isEmpty, "no clang or gcc on PATH")
        for compiler in CCompiler.all {
            _ = try await CCompiler.sharedObject([Paths.source("Plugins/KVStore/kvstore.c")],
                                           arguments: ["-pedantic", "-Wall", "-Wextra", "-Werror"],
                                           name: "libkvstore-pedantic.so", compiler: compiler)
            _ = try await CCompiler.sharedObject([Paths.source("Tests/Fixtures/fixture.c")],
                                           arguments: ["-pedantic", "-Wall", "-Werror"],
                                           name: "libfixture-pedantic.so", compiler: compiler)
        }
    }
}
