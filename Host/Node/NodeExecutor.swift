import Foundation

/// The serial executor the node's actor runs on: one thread of its own.
///
/// Why not Swift's cooperative pool: the loop calls the plugin synchronously
/// (`produce_block`, `validate_block`, `commit_block` must finish before the
/// core sees the next event), and a plugin call can hang. On the pool — one
/// thread per core, two here — a hung call held a pool thread, and every
/// other task of the process (the HTTP API, the transport's handshake
/// deadlines, other nodes in tests) ran on what was left. On its own thread,
/// a hung call holds only the node's loop, as it must, and nothing else.
///
/// Bound: the queue holds the actor's pending jobs; they are bounded by their
/// sources (the input queue, the HTTP connections, the node's own tasks).
final class NodeExecutor: SerialExecutor, @unchecked Sendable {
    // @unchecked: `jobs` and `finished` are guarded by `condition`.
    private let condition = NSCondition()
    private var jobs: [UnownedJob] = []
    private var finished = false

    init(name: String) {
        let thread = Thread { [self] in run() }
        thread.name = name
        thread.stackSize = 8 << 20
        thread.start()
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        condition.lock()
        jobs.append(job)
        condition.signal()
        condition.unlock()
    }

    func asUnownedSerialExecutor() -> UnownedSerialExecutor { UnownedSerialExecutor(ordinary: self) }

    /// After the actor is gone: the thread runs what is queued and ends.
    func finish() {
        condition.lock()
        finished = true
        condition.signal()
        condition.unlock()
    }

    private func run() {
        while true {
            condition.lock()
            while jobs.isEmpty, !finished { condition.wait() }
            if jobs.isEmpty {
                condition.unlock()
                return
            }
            // Take everything queued at once: one lock per batch, not per job.
            let taken = jobs
            jobs = []
            condition.unlock()
            for job in taken { job.runSynchronously(on: asUnownedSerialExecutor()) }
        }
    }
}
