import Foundation
import Testing

/// `@Suite(.blockingWork)`: the suite's tests run on threads of their own,
/// never on Swift's cooperative pool.
///
/// Why: Swift Testing runs a synchronous test on the pool, which has one
/// thread per core — two here. Storage tests open, write and sync RocksDB;
/// consensus and simulation tests are tenths of a second of CPU alone and
/// seconds in a loaded suite. Two of them at once held both threads for the
/// first 17–48 s of a run, and every test that waits on a timer or a socket
/// waited with them: CI saw a transport's 300 ms handshake deadline go
/// unreported for 30 s. The OS shares the cores fairly among threads; the
/// pool, which nothing may block, stays free.
public struct BlockingWorkTrait: SuiteTrait, TestTrait, TestScoping {
    public var isRecursive: Bool { true }

    public func provideScope(for test: Test, testCase: Test.Case?,
                             performing function: @Sendable () async throws -> Void) async throws {
        guard testCase != nil else { return try await function() }
        try await withTaskExecutorPreference(BlockingWorkExecutor.shared) { try await function() }
    }
}

extension Trait where Self == BlockingWorkTrait {
    /// Tests that block a thread (disk, CPU): on threads of their own (see `BlockingWorkTrait`).
    public static var blockingWork: Self { Self() }
}

/// The task executor of `.blockingWork` tests: a thread per job that may
/// block, up to `threadsMax`; idle threads wait for the next job.
///
/// Bound: `threadsMax` threads (each 8 MiB of stack, as the pool's); past
/// that, jobs queue until a thread is free — they wait for each other, never
/// for the cooperative pool, and nothing else waits for them.
public final class BlockingWorkExecutor: TaskExecutor, @unchecked Sendable {
    // @unchecked: `jobs`, `threads` and `idle` are guarded by `condition`.
    static let shared = BlockingWorkExecutor(threadsMax: 16)

    private let threadsMax: Int
    private let condition = NSCondition()
    private var jobs: [UnownedJob] = []
    private var threads = 0
    private var idle = 0

    init(threadsMax: Int) { self.threadsMax = threadsMax }

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        condition.lock()
        defer { condition.unlock() }
        jobs.append(job)
        // Every idle thread takes one job; a job beyond them gets a new thread.
        if jobs.count > idle, threads < threadsMax {
            threads += 1
            let thread = Thread { [self] in run() }
            thread.name = Self.threadKey
            thread.stackSize = 8 << 20
            thread.start()
        } else {
            condition.signal()
        }
    }

    /// Whether the calling thread is one of these executors' threads.
    public static var isCurrentThread: Bool { Thread.current.threadDictionary[threadKey] != nil }
    private static let threadKey = "baton.test.blocking"

    private func run() {
        Thread.current.threadDictionary[Self.threadKey] = true
        while true {
            condition.lock()
            while jobs.isEmpty {
                idle += 1
                condition.wait()
                idle -= 1
            }
            let job = jobs.removeFirst()
            condition.unlock()
            job.runSynchronously(on: asUnownedTaskExecutor())
        }
    }
}
