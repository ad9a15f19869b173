import BatonTestSupport
import Foundation
import PluginHost
import Testing

/// Every way a file can fail to be a plugin gives its own typed error, whose
/// message names the file, and the host goes on working.
@Suite(.blockingWork) struct LoaderErrorTests {
    func loadError(_ path: String) -> PluginLoadError? {
        #expect(throws: PluginLoadError.self) { try PluginLibrary.load(path: path) }
    }

    @Test func missingFile() throws {
        let path = try makeTemporaryDirectory() + "/libnothing.so"
        let error = loadError(path)
        #expect(error?.kind == .fileMissing)
        #expect(error?.description.contains(path) == true)
    }

    @Test func textFileRenamedToSo() throws {
        let path = try makeTemporaryDirectory() + "/libnotes.so"
        try "just some notes\n".write(toFile: path, atomically: true, encoding: .utf8)
        let error = loadError(path)
        #expect(error?.kind == .notSharedObject)
        #expect(error?.description.contains("no ELF header") == true)
        #expect(error?.description.contains(path) == true)
    }

    @Test func truncatedSharedObject() throws {
        let directory = try makeTemporaryDirectory()
        let whole = try Data(contentsOf: URL(fileURLWithPath: Paths.shippedPlugin("kvstore")))
        let path = directory + "/libtruncated.so"
        try whole.prefix(200).write(to: URL(fileURLWithPath: path))
        #expect(loadError(path)?.kind == .notSharedObject)
    }

    @Test func sharedObjectWithoutEntrySymbol() async throws {
        let path = try await CCompiler.fixture(["FIXTURE_NO_ENTRY"])
        let error = loadError(path)
        #expect(error?.kind == .entrySymbolMissing)
        #expect(error?.description.contains("baton_plugin_entry") == true)
    }

    @Test func entryReturningNull() async throws {
        #expect(loadError(try await CCompiler.fixture(["FIXTURE_NULL_ENTRY"]))?.kind == .entryReturnedNull)
    }

    @Test func wrongABIMajorNamesBothVersions() async throws {
        let error = loadError(try await CCompiler.fixture(["FIXTURE_ABI_MAJOR=2"]))
        #expect(error?.kind == .abiMajorMismatch)
        #expect(error?.description.contains("ABI 2.x") == true)
        #expect(error?.description.contains("host speaks \(PluginABI.major).x") == true)
    }

    @Test func tableTooSmallNamesTheFirstMissingCall() async throws {
        let error = loadError(try await CCompiler.fixture(["FIXTURE_SHORT_TABLE"]))
        #expect(error?.kind == .tableTooSmall)
        #expect(error?.description.contains("`check_tx`") == true)
    }

    @Test func nullRequiredCall() async throws {
        let error = loadError(try await CCompiler.fixture(["FIXTURE_NULL_QUERY"]))
        #expect(error?.kind == .missingCall)
        #expect(error?.description.contains("`query`") == true)
    }

    @Test func invalidName() async throws {
        let error = loadError(try await CCompiler.fixture([#"FIXTURE_NAME="Bad Name""#]))
        #expect(error?.kind == .invalidMetadata)
        #expect(error?.description.contains("Bad Name") == true)
    }

    @Test func createReturningAnErrorCarriesThePluginsMessage() async throws {
        let library = try PluginLibrary.load(path: try await CCompiler.fixture())
        let error = #expect(throws: PluginLoadError.self) {
            try PluginApplication(library: library, config: Array("create-fails"), store: InMemoryAppStateStore())
        }
        #expect(error?.kind == .createFailed)
        #expect(error?.description.contains("fixture: config says fail") == true)
    }

    @Test func createClaimingSuccessWithoutAnInstance() async throws {
        let library = try PluginLibrary.load(path: try await CCompiler.fixture())
        let error = #expect(throws: PluginLoadError.self) {
            try PluginApplication(library: library, config: Array("create-no-instance"), store: InMemoryAppStateStore())
        }
        #expect(error?.kind == .createFailed)
    }

    @Test func hostKeepsWorkingAfterEveryFailure() async throws {
        let directory = try makeTemporaryDirectory()
        let broken = [
            directory + "/missing.so",
            try await CCompiler.fixture(["FIXTURE_NO_ENTRY"], in: directory),
            try await CCompiler.fixture(["FIXTURE_ABI_MAJOR=7"], name: "libabi7.so", in: directory),
        ]
        for path in broken { #expect(throws: PluginLoadError.self) { try PluginLibrary.load(path: path) } }
        let robot = try PluginApplication(library: try PluginLibrary.load(path: Paths.shippedPlugin("robot")),
                                          store: InMemoryAppStateStore())
        #expect(try robot.checkTransaction(Array("wait")) == .accept)
    }
}
