import BatonTestSupport
import Foundation
import PluginHost
import Testing

/// ABI 1.3 typed functions: the signature language, the loader's checks, and
/// real calls through libffi into a C plugin, one per type and per answer.
@Suite(.blockingWork) struct TypedFunctionTests {
    // MARK: - The signature language

    @Test func signaturesParseToTheirCanonicalForm() throws {
        let s = try FunctionSignature(parsing: "( x:i32 ,y : i32)->i32")
        #expect(s.description == "(x: i32, y: i32) -> i32")
        #expect(s.parameters.map(\.name) == ["x", "y"] && s.result == .i32)
        #expect(try FunctionSignature(parsing: "() -> bytes").parameters.isEmpty)
        let all = try FunctionSignature(parsing: "(a: i64, b: u32, c: u64, d: f64, e: bool, f: str, g: bytes) -> str")
        #expect(all.parameters.map(\.type) == [.i64, .u32, .u64, .f64, .bool, .str, .bytes])
    }

    @Test func badSignaturesSayWhatIsWrong() {
        func problem(_ text: String) -> String {
            do { _ = try FunctionSignature(parsing: text); return "parsed" } catch { return error.description }
        }
        #expect(problem("(a: int) -> i32").contains("unknown type 'int'"))
        #expect(problem("(a: i32, a: i32) -> i32").contains("'a' is used twice"))
        #expect(problem("(a: i32) i32").contains("expected '->'"))
        #expect(problem("a: i32 -> i32").contains("expected '('"))
        #expect(problem("(A: i32) -> i32").contains("expected a name"))
        #expect(problem("() -> i32 extra").contains("unexpected text"))
        #expect(problem("() -> float").contains("result: unknown type 'float'"))
        let seventeen = "(" + (0..<17).map { "p\($0): i32" }.joined(separator: ", ") + ") -> i32"
        #expect(problem(seventeen).contains("more than 16 parameters"))
    }

    // MARK: - Calls through libffi

    func fixture() async throws -> PluginApplication {
        let library = try PluginLibrary.load(path: try await CCompiler.fixture(["FIXTURE_FUNCTIONS"], name: "libfixture-functions.so"))
        return try PluginApplication(library: library, store: InMemoryAppStateStore())
    }

    @Test func everyTypeGoesInAndComesOutIntact() async throws {
        let app = try await fixture()
        #expect(app.info.abiMinor == PluginABI.minor && app.functions.count == 17)
        #expect(try app.call("add", arguments: [.i32(-7), .i32(3)]) == .value(.i32(-4)))
        #expect(try app.call("add", arguments: [.i32(.max), .i32(1)]) == .value(.i32(.min)))  // C wraps; so do we
        #expect(try app.call("negate", arguments: [.i64(-(1 << 62))]) == .value(.i64(1 << 62)))
        #expect(try app.call("max_u32", arguments: [.u32(.max), .u32(7)]) == .value(.u32(.max)))
        #expect(try app.call("twice", arguments: [.u64(1 << 62)]) == .value(.u64(1 << 63)))
        #expect(try app.call("scale", arguments: [.f64(1.5), .f64(-2.25)]) == .value(.f64(-3.375)))
        #expect(try app.call("not", arguments: [.bool(true)]) == .value(.bool(false)))
        #expect(try app.call("not", arguments: [.bool(false)]) == .value(.bool(true)))
        #expect(try app.call("length", arguments: [.str("héllo")]) == .value(.u32(6)))  // UTF-8 bytes
        #expect(try app.call("reverse", arguments: [.bytes([1, 2, 3, 0, 255])]) == .value(.bytes([255, 0, 3, 2, 1])))
        #expect(try app.call("reverse", arguments: [.bytes([])]) == .value(.bytes([])))
        #expect(try app.call("greet", arguments: [.str("Ada")]) == .value(.str("hello, Ada")))
        #expect(try app.call("mixed", arguments: [.i32(-5), .bytes([9, 8]), .str("s"), .bool(true), .f64(0.5), .u64(.max)])
            == .value(.str("a=-5 len=2 first=9 s=s flag=1 x=0.500 big=18446744073709551615")))
        let sixteen = (1...16).map { FunctionValue.i32(Int32($0)) }
        #expect(try app.call("sum16", arguments: sixteen) == .value(.i64((1...15).reduce(0, +) + 16_000)))
    }

    @Test func functionsReadCommittedStateAndCannotWrite() async throws {
        let app = try await fixture()
        #expect(try app.call("stored", arguments: [.str("k")]) == FunctionResult.none)
        _ = try app.commitBlock(context(height: 1), payload: Array("put:k"))
        #expect(try app.call("stored", arguments: [.str("k")]) != FunctionResult.none)
        // BATON_ERR_READ_ONLY: a function never changes replicated state.
        #expect(try app.call("write_attempt", arguments: []) == .value(.i32(-3)))
    }

    @Test func answersOtherThanOKAreTypedErrors() async throws {
        let app = try await fixture()
        #expect(try app.call("refuse", arguments: [.i32(2)]) == .value(.str("even")))
        #expect(throws: FunctionCallError.rejected(function: "refuse", message: "x must be even")) {
            try app.call("refuse", arguments: [.i32(3)])
        }
        do { _ = try app.call("fail", arguments: []); Issue.record("fail answered") } catch {
            guard case .failed(let inner) = error else { Issue.record("\(error)"); return }
            #expect(inner.kind == .failed && inner.message == "it failed on purpose")
        }
        do { _ = try app.call("bad_utf8", arguments: []); Issue.record("bad_utf8 answered") } catch {
            guard case .failed(let inner) = error else { Issue.record("\(error)"); return }
            #expect(inner.kind == .contractViolation && inner.message.contains("not valid UTF-8"))
        }
        do { _ = try app.call("huge", arguments: []); Issue.record("huge answered") } catch {
            #expect("\(error)".contains("passed the host's limit"))
        }
    }

    @Test func argumentsThatDoNotMatchTheSignatureNeverReachTheFunction() async throws {
        let app = try await fixture()
        #expect(throws: FunctionCallError.self) { try app.call("nope", arguments: []) }
        do { _ = try app.call("nope", arguments: []) } catch {
            #expect(error.description.contains("no function 'nope'") && error.description.contains("add"))
        }
        #expect(throws: FunctionCallError.wrongArity(function: "add", expected: 2, got: 1,
                                                    signature: app.functions[0].signature)) {
            try app.call("add", arguments: [.i32(1)])
        }
        #expect(throws: FunctionCallError.wrongType(function: "add", parameter: "b", expected: .i32, got: .i64)) {
            try app.call("add", arguments: [.i32(1), .i64(2)])
        }
        #expect(throws: FunctionCallError.invalidString(function: "length", parameter: "s")) {
            try app.call("length", arguments: [.str("a\u{0}b")])
        }
    }

    // MARK: - Bad declarations are load errors

    @Test(arguments: [
        (1, "broken", "symbol 'fx_fn_not_exported' is not exported"),
        (2, "broken", "unknown type 'int'"),
        (3, "add", "declared twice"),
        (4, "#17", "pointer in the table is NULL"),
        (5, "#17", "struct_size is 16"),
        (6, "(table)", "declares 257 functions"),
    ])
    func aBadDeclarationIsALoadErrorNamingTheFunction(variant: Int, name: String, problem: String) async throws {
        let path = try await CCompiler.fixture(["FIXTURE_FUNCTIONS", "FIXTURE_BAD_FUNCTION=\(variant)"], name: "libbad-\(variant).so")
        do {
            _ = try PluginLibrary.load(path: path)
            Issue.record("variant \(variant) loaded")
        } catch {
            #expect(error.kind == .badFunction)
            #expect(error.description.contains("typed function '\(name)'") && error.description.contains(problem),
                    "\(error)")
        }
    }

    @Test func aPluginClaimingANewerMinorThanItsTableIsRefused() async throws {
        // Built against 1.2 (a 112-byte table) but says 1.3.
        let path = try await CCompiler.fixture(["FIXTURE_MINOR=3"], name: "libliar.so", abi: "1.2")
        do {
            _ = try PluginLibrary.load(path: path)
            Issue.record("loaded")
        } catch {
            #expect(error.kind == .tableShorterThanMinor)
            #expect(error.description.contains("says it is ABI 1.3 but its table is 112 bytes; 1.3 needs 128"), "\(error)")
        }
    }
}
