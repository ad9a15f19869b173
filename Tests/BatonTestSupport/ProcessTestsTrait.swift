import Testing

/// `@Suite(.processTests)`: the suite's tests run one at a time with every
/// other test that carries this trait, in any suite. Clusters of node
/// processes started at once on a 2-core machine starve each other (views
/// time out, tests fail for no fault of the code). A trait, so suites need
/// not be extensions of one type to be serialized together.
public struct ProcessTestsTrait: SuiteTrait, TestTrait, TestScoping {
    public var isRecursive: Bool { true }

    public func provideScope(for test: Test, testCase: Test.Case?,
                             performing function: @Sendable () async throws -> Void) async throws {
        // The suite's own scope passes through; each test case holds the gate.
        guard testCase != nil else { return try await function() }
        await ProcessTestGate.shared.enter()
        do {
            try await function()
        } catch {
            await ProcessTestGate.shared.leave()
            throw error
        }
        await ProcessTestGate.shared.leave()
    }
}

extension Trait where Self == ProcessTestsTrait {
    /// Serialized with every other process test (see `ProcessTestsTrait`).
    public static var processTests: Self { Self() }
}

/// One process test at a time, in arrival order.
actor ProcessTestGate {
    static let shared = ProcessTestGate()
    private var busy = false
    private var waiting: [CheckedContinuation<Void, Never>] = []

    func enter() async {
        guard busy else {
            busy = true
            return
        }
        await withCheckedContinuation { waiting.append($0) }
    }

    func leave() {
        if waiting.isEmpty { busy = false } else { waiting.removeFirst().resume() }
    }
}
