import BatonTestSupport
import Foundation
import PluginHost
import Testing

/// What a plugin returns can be wrong in every way; none of it may crash the
/// host or change state it should not.
@Suite(.blockingWork) struct ContractTests {
    let library: PluginLibrary

    init() async throws { library = try PluginLibrary.load(path: try await CCompiler.fixture()) }

    func fixture(_ mode: String, store: AppStateStore = InMemoryAppStateStore(), limits: PluginLimits = PluginLimits(),
                 onCompletion: @escaping @Sendable (PendingCompletion) -> Void = { _ in }) throws -> PluginApplication {
        try PluginApplication(library: library, config: Array(mode), store: store, limits: limits, onCompletion: onCompletion)
    }

    @Test func unknownStatusCodesAreContractViolations() throws {
        let app = try fixture("bad-status")
        let calls: [() throws -> Void] = [
            { _ = try app.checkTransaction([1]) },
            { _ = try app.produceBlock(context(height: 1), candidates: []) },
            { _ = try app.validateBlock(context(height: 1), payload: []) },
            { _ = try app.commitBlock(context(height: 1), payload: []) },
            { _ = try app.query([]) },
        ]
        for call in calls {
            let error = #expect(throws: ApplicationError.self) { try call() }
            #expect(error?.kind == .contractViolation)
            #expect(error?.message.contains("42") == true)
        }
    }

    @Test func outputPastTheLimitIsRefusedNotAllocated() throws {
        var limits = PluginLimits()
        limits.payloadBytesMax = 1 << 20
        limits.responseBytesMax = 2 << 20
        let app = try fixture("huge", limits: limits)
        let produce = #expect(throws: ApplicationError.self) { try app.produceBlock(context(height: 1), candidates: []) }
        #expect(produce?.kind == .failed)
        #expect(produce?.message.contains("size limit") == true)
        #expect(throws: ApplicationError.self) { try app.query([]) }
    }

    @Test func writesOutsideCommitAreRefusedAsReadOnly() throws {
        let store = InMemoryAppStateStore()
        let app = try fixture("write-outside", store: store)
        for call in [{ _ = try app.checkTransaction([1]) }, { _ = try app.validateBlock(context(height: 1), payload: []) },
                     { _ = try app.query([]) }] as [() throws -> Void] {
            let error = #expect(throws: ApplicationError.self) { try call() }
            #expect(error?.message == "read-only as expected")
        }
        #expect(store.count == 0)
    }

    @Test func commitWritesLandOnlyWhenTheCommitSucceeds() throws {
        let store = InMemoryAppStateStore()
        let failing = try fixture("commit-fails", store: store)
        #expect(throws: ApplicationError.self) { try failing.commitBlock(context(height: 1), payload: [1]) }
        #expect(store.value(forKey: Array("n")) == nil)

        let app = try fixture("", store: store)
        _ = try app.commitBlock(context(height: 1), payload: [1])
        _ = try app.commitBlock(context(height: 2), payload: [2])
        #expect(store.value(forKey: Array("n")) == [2])
    }

    @Test func pendingValidationCompletesFromAnotherThread() async throws {
        let (stream, continuation) = AsyncStream.makeStream(of: PendingCompletion.self)
        let app = try fixture("pending") { continuation.yield($0) }
        var completions = stream.makeAsyncIterator()

        guard case .pending(let good) = try app.validateBlock(context(height: 1), payload: Array("good")) else {
            Issue.record("expected pending")
            return
        }
        let first = await next(&completions)
        #expect(first?.token == good)
        #expect(first?.call == .validateBlock)
        #expect(first?.outcome == .valid)

        guard case .pending(let bad) = try app.validateBlock(context(height: 2), payload: Array("bad")) else { return }
        let second = await next(&completions)
        #expect(second?.token == bad && second?.outcome == .invalid(reason: "late no"))

        guard case .pending(let produced) = try app.produceBlock(context(height: 3), candidates: [Array("tx")]) else { return }
        let third = await next(&completions)
        #expect(third?.token == produced && third?.outcome == .produced(payload: Array("late-payload")))

        // The plugin's own record: its completion was accepted (0+) and a
        // second completion of the same token refused (R).
        _ = try app.query(Array("join"))
        #expect(try app.query(Array("results")).text == "0+,R")
        #expect(app.pendingAnswerCount == 0)
    }

    /// complete() with a status the call cannot answer (REJECT for
    /// produce_block) is refused, not turned into a silent drop; the token
    /// stays open for a proper answer.
    @Test func aCompletionWithAStatusTheCallCannotAnswerIsRefused() async throws {
        let (stream, continuation) = AsyncStream.makeStream(of: PendingCompletion.self)
        let app = try fixture("pending-reject-produce") { continuation.yield($0) }
        var completions = stream.makeAsyncIterator()
        guard case .pending(let token) = try app.produceBlock(context(height: 1), candidates: []) else {
            Issue.record("expected pending")
            return
        }
        let completion = await next(&completions)
        #expect(completion?.token == token && completion?.outcome == .produced(payload: Array("late-payload")))
        _ = try app.query(Array("join"))
        // The REJECT was refused with BATON_ERR_INVALID_ARGUMENT (-4: "0-"), the OK after it accepted ("A").
        #expect(try app.query(Array("results")).text == "0-,A")
        #expect(app.pendingAnswerCount == 0)
    }

    /// A pending answer given up on (its deadline passed) frees its slot, and
    /// a completion after that is refused.
    @Test func anAbandonedTokenFreesItsSlot() throws {
        var limits = PluginLimits()
        limits.pendingAnswersMax = 1
        let app = try fixture("pending-never", limits: limits)
        guard case .pending(let token) = try app.validateBlock(context(height: 1), payload: []) else { return }
        #expect(app.abandon(token) && !app.abandon(token))
        #expect(app.pendingAnswerCount == 0)
        #expect(try app.validateBlock(context(height: 1), payload: []) == .pending(PendingToken(2)))
    }

    @Test func completingAndAlsoAnsweringIsAContractViolation() throws {
        let app = try fixture("complete-and-ok")
        let error = #expect(throws: ApplicationError.self) { try app.validateBlock(context(height: 1), payload: []) }
        #expect(error?.kind == .contractViolation)
    }

    @Test func pendingAnswersAreBounded() throws {
        var limits = PluginLimits()
        limits.pendingAnswersMax = 2
        let app = try fixture("pending-never", limits: limits)
        #expect(try app.validateBlock(context(height: 1), payload: []) == .pending(PendingToken(1)))
        #expect(try app.validateBlock(context(height: 1), payload: []) == .pending(PendingToken(2)))
        let error = #expect(throws: ApplicationError.self) { try app.validateBlock(context(height: 1), payload: []) }
        #expect(error?.kind == .contractViolation)
        #expect(app.pendingAnswerCount == 2)
    }

    @Test func badBlockIDsAreRefusedBeforeThePluginIsCalled() throws {
        let app = try fixture("")
        var bad = context(height: 1)
        bad.parentID = [1, 2, 3]
        let error = #expect(throws: ApplicationError.self) { try app.validateBlock(bad, payload: []) }
        #expect(error?.kind == .invalidArgument)
        #expect(throws: ApplicationError.self) { try app.produceBlock(bad, candidates: []) }
        #expect(app.pendingAnswerCount == 0)
    }

    @Test func hostSHA256MatchesAKnownVector() throws {
        // The fixture's state hash is SHA-256(payload), computed by the host callback.
        let app = try fixture("")
        let hash = try app.commitBlock(context(height: 1), payload: Array("abc"))
        #expect(hash.hex == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }
}

/// ABI 1.4 `migrate_state`: called before the first commit after a live
/// upgrade, its writes staged with that block's; a failure is the commit's.
@Suite(.blockingWork) struct StateMigrationTests {
    @Test func theMigrationLandsWithTheFirstBlockAndAFailureFailsTheCommit() async throws {
        let library = try PluginLibrary.load(path: try await CCompiler.fixture(["FIXTURE_MIGRATES"], name: "libfixture-migrates.so"))
        let store = InMemoryAppStateStore()
        let app = try PluginApplication(library: library, store: store)
        #expect(app.migratesState)
        let previous = PluginInfo(name: "fixture", version: "0.0.1", description: "", abiMajor: 1, abiMinor: 3)
        _ = try app.commitBlock(context(height: 1), payload: Array("put:a"), migratingFrom: previous)
        #expect(try app.query(Array("get:migrated")) == Array("from fixture 0.0.1"))
        #expect(try app.query(Array("get:a")) == Array("1"), "the block's own write landed too")

        let failing = try PluginApplication(library: library, config: Array("migrate-fails"), store: InMemoryAppStateStore())
        do {
            _ = try failing.commitBlock(context(height: 1), payload: Array("put:b"), migratingFrom: previous)
            Issue.record("a failed migration committed")
        } catch {
            #expect(error.call == "migrate_state" && error.message.contains("cannot migrate"))
        }
        #expect((try? failing.query(Array("get:b"))) == nil, "nothing of the block landed")
        // A plugin without the call commits as usual.
        let plain = try PluginApplication(library: try PluginLibrary.load(path: try await CCompiler.fixture()), store: InMemoryAppStateStore())
        #expect(!plain.migratesState)
        _ = try plain.commitBlock(context(height: 1), payload: Array("put:c"), migratingFrom: previous)
        #expect(try plain.query(Array("get:c")) == Array("1"))
    }
}
