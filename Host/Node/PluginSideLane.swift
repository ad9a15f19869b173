import Foundation
import Logging
import PluginHost
import Synchronization

/// Where `check_tx` (from clients and from gossip), `query` and the typed
/// functions run: threads of their own, off the consensus loop, so nothing a
/// client or a peer sends makes the loop wait for the plugin (issue 29).
///
/// Instances: with a plugin that allows a second instance (ABI 1.6), each
/// worker owns one, reading committed state from the store; the loop keeps
/// the first for the block calls. Without it, the one worker calls the
/// loop's instance through `SerializedApplication`'s lock.
///
/// A slow call does not hold the others: once a call has run
/// `rerouteAfterMs`, a fresh worker with a fresh instance (if the plugin
/// allows more) serves the queue beside it — at most `workersMax` at once,
/// so a flood of slow inputs costs at most that many threads; a worker
/// retires when it finds the queue empty while others live. A call past its
/// budget is answered at once (`.overBudget`: 503; a transaction whose
/// check_tx passes later is neither admitted nor gossiped — the job is
/// finished and its late answer dropped).
///
/// Bounds: `queueMax` client calls waiting (past it a client gets `.busy`:
/// 503); `perPeerMax` gossiped batches waiting per peer (past it the batch
/// is dropped and counted; its transactions still arrive in proposals). 64
/// batches of at most a proposal's 400 transactions hold more than a
/// mempool's 10,000, so an honest peer under load is never cut.
public final class PluginSideLane: @unchecked Sendable {
    // @unchecked: every mutable field is guarded by `condition`.
    public struct Limits: Sendable, Hashable {
        public var queueMax = 1_024
        public var perPeerMax = 64
        public var workersMax = 4
        /// A call running this long gets a worker beside it (well within
        /// every budget: most calls take microseconds).
        public var rerouteAfterMs: UInt64 = 100
        public init() {}
    }

    /// A transaction's verdict from the side.
    public enum Verdict: Sendable, Hashable {
        case accept
        case reject(String)
        /// check_tx failed (an error, not a verdict): the plugin's fault.
        case failed(String)
        /// Not judged: its check_tx (or an earlier one in its batch) overran.
        case overBudget(String)
    }

    public enum Answer<Value: Sendable>: Sendable {
        case done(Value)
        /// The queue is full; nothing ran.
        case busy(String)
        case overBudget(PluginWatchdog.Overrun)
    }

    enum Work {
        case check([[UInt8]])
        case query([UInt8])
        case call(String, [FunctionValue])
    }

    enum Outcome: Sendable {
        case checked([Verdict])
        case queried(Result<[UInt8], ApplicationError>)
        case called(Result<FunctionResult, FunctionCallError>)
        case busy(String)
        case overBudget(PluginWatchdog.Overrun, partial: [Verdict])
    }

    /// One request: finished exactly once, by its worker or by an overrun.
    final class Job: @unchecked Sendable {
        let work: Work
        let peer: String?
        private let finished = Mutex(false)
        private let completion: @Sendable (Outcome) -> Void
        /// Verdicts so far (a check job), read by an overrun; guarded by `finished`'s lock.
        nonisolated(unsafe) var verdicts: [Verdict] = []

        init(_ work: Work, peer: String?, completion: @escaping @Sendable (Outcome) -> Void) {
            self.work = work
            self.peer = peer
            self.completion = completion
        }

        var isFinished: Bool { finished.withLock { $0 } }

        func record(_ verdict: Verdict) { finished.withLock { _ in verdicts.append(verdict) } }

        /// Returns false if it was finished already (the answer is dropped).
        @discardableResult
        func finish(_ outcome: (Job) -> Outcome) -> Bool {
            let result: Outcome? = finished.withLock { done in
                guard !done else { return nil }
                done = true
                return outcome(self)
            }
            guard let result else { return false }
            completion(result)
            return true
        }
    }

    final class Worker: @unchecked Sendable {
        let app: any Application
        let generation: Int
        /// Inside a job (guarded by the lane's lock).
        var busy = false
        init(app: any Application, generation: Int) {
            self.app = app
            self.generation = generation
        }
    }

    /// How the lane gets an instance for a new worker.
    enum Source {
        /// A second instance per worker (the plugin allows it).
        case instances(make: () throws -> (any Application)?)
        /// The loop's instance behind its lock: one worker, never replaced.
        case shared(SerializedApplication)
    }

    public let limits: Limits
    let watchdog: PluginWatchdog
    let metrics: NodeMetrics
    let logger: Logger
    private let condition = NSCondition()
    private var queue: [Job] = []
    private var head = 0
    /// Client jobs in `queue` (the gossip ones are bounded per peer).
    private var clientJobs = 0
    private var perPeer: [String: Int] = [:]
    private var workers: [ObjectIdentifier: Worker] = [:]
    private var source: Source?
    private var generation = 0
    private var closed = false
    /// Replacement workers whose instance is being created.
    private var reservedWorkers = 0

    @_spi(Testing) public init(limits: Limits = Limits(), watchdog: PluginWatchdog, metrics: NodeMetrics, logger: Logger) {
        self.limits = limits
        self.watchdog = watchdog
        self.metrics = metrics
        self.logger = logger
    }

    /// Serves the side calls of `app` from now on: with a second instance if
    /// the plugin allows one, else through the returned wrapper, which the
    /// loop must then use for its own calls (so both share one lock).
    /// Workers of the previous application finish their job and retire.
    @_spi(Testing) public func serve(_ app: any Application) -> any Application {
        var instance: (any Application)?
        do { instance = try app.makeSecondInstance() } catch {
            logger.error("cannot create the plugin's second instance; check_tx, query and functions share the first",
                         metadata: ["plugin": "\(app.info.name)", "error": "\(error)"])
        }
        let loopApp: any Application
        let first: any Application
        let newSource: Source
        if let instance {
            loopApp = app
            first = instance
            newSource = .instances(make: { try app.makeSecondInstance() })
        } else {
            let shared = (app as? SerializedApplication) ?? SerializedApplication(app)
            loopApp = shared
            first = shared
            newSource = .shared(shared)
        }
        condition.lock()
        generation += 1
        source = newSource
        let worker = Worker(app: first, generation: generation)
        workers[ObjectIdentifier(worker)] = worker
        condition.broadcast()  // older workers notice the new generation
        condition.unlock()
        start(worker)
        return loopApp
    }

    /// No more jobs; waiting ones are answered `.busy`, workers retire.
    @_spi(Testing) public func close() {
        condition.lock()
        closed = true
        let waiting = Array(queue[head...])
        queue = []
        head = 0
        clientJobs = 0
        perPeer = [:]
        condition.broadcast()
        condition.unlock()
        for job in waiting { job.finish { _ in .busy("the node is shutting down") } }
    }

    // MARK: - Calls

    /// Judges `transactions` with check_tx, in order.
    @_spi(Testing) public func check(_ transactions: [[UInt8]]) async -> Answer<[Verdict]> {
        switch await run(.check(transactions), peer: nil) {
        case .checked(let verdicts): return .done(verdicts)
        case .busy(let reason): return .busy(reason)
        case .overBudget(let overrun, _): return .overBudget(overrun)
        default: return .busy("internal: a check answered with another call's result")
        }
    }

    /// A peer's gossip: judged on the side; `completion` gets the verdicts
    /// (for those judged before an overrun). False when the peer already has
    /// `perPeerMax` batches waiting, or the queue is full: dropped.
    @_spi(Testing) public func checkGossip(_ transactions: [[UInt8]], from peer: String,
                                            completion: @escaping @Sendable ([Verdict]) -> Void) -> Bool {
        let job = Job(.check(transactions), peer: peer) { outcome in
            switch outcome {
            case .checked(let verdicts): completion(verdicts)
            case .overBudget(_, let partial): completion(partial)
            default: break
            }
        }
        return enqueue(job)
    }

    func query(_ request: [UInt8]) async -> Answer<Result<[UInt8], ApplicationError>> {
        switch await run(.query(request), peer: nil) {
        case .queried(let result): return .done(result)
        case .busy(let reason): return .busy(reason)
        case .overBudget(let overrun, _): return .overBudget(overrun)
        default: return .busy("internal: a query answered with another call's result")
        }
    }

    func call(_ function: String, arguments: [FunctionValue]) async -> Answer<Result<FunctionResult, FunctionCallError>> {
        switch await run(.call(function, arguments), peer: nil) {
        case .called(let result): return .done(result)
        case .busy(let reason): return .busy(reason)
        case .overBudget(let overrun, _): return .overBudget(overrun)
        default: return .busy("internal: a function call answered with another call's result")
        }
    }

    /// Jobs waiting (not yet taken by a worker).
    public var waiting: Int {
        condition.lock()
        defer { condition.unlock() }
        return queue.count - head
    }

    /// Workers alive, busy or not.
    public var workerCount: Int {
        condition.lock()
        defer { condition.unlock() }
        return workers.count
    }

    private func run(_ work: Work, peer: String?) async -> Outcome {
        await withCheckedContinuation { continuation in
            let job = Job(work, peer: peer) { continuation.resume(returning: $0) }
            if !enqueue(job) {
                job.finish { _ in
                    .busy("the plugin's side queue is full (\(self.limits.queueMax) calls waiting: its check_tx, query or functions are slow); retry later")
                }
            }
        }
    }

    private func enqueue(_ job: Job) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        guard !closed else { return false }
        if let peer = job.peer {
            guard perPeer[peer, default: 0] < limits.perPeerMax else {
                metrics.sideLaneGossipDropped.increment()
                return false
            }
            perPeer[peer, default: 0] += 1
        } else {
            guard clientJobs < limits.queueMax else {
                metrics.sideLaneFull.increment()
                return false
            }
            clientJobs += 1
        }
        queue.append(job)
        condition.signal()
        return true
    }

    // MARK: - Workers

    private func start(_ worker: Worker) {
        let thread = Thread { [self] in
            while let job = next(for: worker) {
                // A plugin that checks in batches (its own process: a round
                // trip each) gets the check jobs queued behind this one too.
                if case .check = job.work, worker.app.checksInBatches {
                    let group = [job] + moreChecks(after: job)
                    executeChecks(group, on: worker)
                    group.forEach(done)
                } else {
                    execute(job, on: worker)
                    done(job)
                }
            }
        }
        thread.name = "baton-plugin-side"
        thread.stackSize = 8 << 20
        thread.start()
    }

    /// The next job for `worker`, or nil when it must retire: the lane
    /// closed, an older generation, or nothing to do while another worker
    /// waits idle (one idle worker is enough).
    private func next(for worker: Worker) -> Job? {
        condition.lock()
        defer { condition.unlock() }
        worker.busy = false
        while true {
            let anotherIdle = workers.values.contains { $0 !== worker && !$0.busy && $0.generation == generation }
            if closed || worker.generation != generation || (head == queue.count && anotherIdle) {
                workers[ObjectIdentifier(worker)] = nil
                return nil
            }
            if head < queue.count {
                let job = queue[head]
                head += 1
                worker.busy = true
                if job.peer == nil { clientJobs -= 1 }
                if head > 256, head * 2 > queue.count {
                    queue.removeFirst(head)
                    head = 0
                }
                return job
            }
            condition.wait()
        }
    }

    /// Transactions one grouped round trip carries at most.
    static let groupTransactionsMax = 4_096

    /// The check jobs queued right behind `first`, up to `groupTransactionsMax`
    /// transactions in all.
    private func moreChecks(after first: Job) -> [Job] {
        guard case .check(let firstTransactions) = first.work else { return [] }
        condition.lock()
        defer { condition.unlock() }
        var taken: [Job] = []
        var count = firstTransactions.count
        while head < queue.count, case .check(let transactions) = queue[head].work,
              count + transactions.count <= Self.groupTransactionsMax {
            let job = queue[head]
            head += 1
            if job.peer == nil { clientJobs -= 1 }
            count += transactions.count
            taken.append(job)
        }
        return taken
    }

    /// Check jobs in one `checkTransactions` call (for a plugin that checks in
    /// batches: one round trip); each job gets its own verdicts.
    private func executeChecks(_ group: [Job], on worker: Worker) {
        let batches = group.map { job -> [[UInt8]] in
            if case .check(let transactions) = job.work { return transactions }
            return []
        }
        let onOverrun: @Sendable (PluginWatchdog.Overrun) -> Void = { [self] overrun in
            for job in group { overran(job, overrun) }
        }
        let onSlow = (afterMs: limits.rerouteAfterMs, handler: { @Sendable [self] in reroute(around: worker) })
        let app = worker.app
        let results = watchdog.measure(.checkTx, onOverrun: onOverrun, onSlow: onSlow) {
            app.checkTransactions(batches.flatMap { $0 })
        }
        var at = 0
        for (job, batch) in zip(group, batches) {
            for result in results[min(at, results.count)..<min(at + batch.count, results.count)] {
                switch result {
                case .success(.accept): job.record(.accept)
                case .success(.reject(let reason)): job.record(.reject(reason))
                case .failure(let error): job.record(.failed("check_tx failed in plugin \(app.info.name): \(error)"))
                }
            }
            at += batch.count
            job.finish { .checked($0.verdicts) }
        }
    }

    private func done(_ job: Job) {
        guard let peer = job.peer else { return }
        condition.lock()
        if let count = perPeer[peer] { perPeer[peer] = count > 1 ? count - 1 : nil }
        condition.unlock()
    }

    private func execute(_ job: Job, on worker: Worker) {
        let onOverrun: @Sendable (PluginWatchdog.Overrun) -> Void = { [self] overrun in overran(job, overrun) }
        let onSlow = (afterMs: limits.rerouteAfterMs, handler: { @Sendable [self] in reroute(around: worker) })
        let app = worker.app
        switch job.work {
        case .check(let transactions):
            // One watchdog run for the job, a budget per call (`measureEach`).
            watchdog.measureEach(.checkTx, count: transactions.count, onOverrun: onOverrun, onSlow: onSlow) { index in
                let verdict: Verdict
                do {
                    switch try app.checkTransaction(transactions[index]) {
                    case .accept: verdict = .accept
                    case .reject(let reason): verdict = .reject(reason)
                    }
                } catch {
                    logger.error("check_tx failed", metadata: ["plugin": "\(app.info.name)", "error": "\(error)"])
                    verdict = .failed("check_tx failed in plugin \(app.info.name): \(error)")
                }
                job.record(verdict)
                return !job.isFinished  // an overrun answered already: the rest are not judged
            }
            job.finish { .checked($0.verdicts) }
        case .query(let request):
            let result = Result { () throws(ApplicationError) in
                try watchdog.measure(.query, onOverrun: onOverrun, onSlow: onSlow) { () throws(ApplicationError) in try app.query(request) }
            }
            job.finish { _ in .queried(result) }
        case .call(let name, let arguments):
            let result = Result { () throws(FunctionCallError) in
                try watchdog.measure(.function, onOverrun: onOverrun, onSlow: onSlow) { () throws(FunctionCallError) in
                    try app.call(name, arguments: arguments)
                }
            }
            job.finish { _ in .called(result) }
        }
    }

    /// The watchdog's report that the call running `job` passed its budget:
    /// the caller is answered now; the call's late answer will be dropped.
    private func overran(_ job: Job, _ overrun: PluginWatchdog.Overrun) {
        let reason = "not judged: \(overrun.text)"
        job.finish { job in
            // The stuck transaction and any after it in the batch: not judged.
            var verdicts = job.verdicts
            if case .check(let transactions) = job.work {
                verdicts += Array(repeating: .overBudget(reason), count: max(0, transactions.count - verdicts.count))
            }
            return .overBudget(overrun, partial: verdicts)
        }
    }

    /// The watchdog's report that `worker`'s call has run `rerouteAfterMs`:
    /// a fresh instance serves the queue beside it, if the plugin allows
    /// more and `workersMax` has room (created outside the lock: a plugin's
    /// create may take a while).
    private func reroute(around worker: Worker) {
        condition.lock()
        var make: (() throws -> (any Application)?)?
        if case .instances(let maker) = source, worker.generation == generation, !closed,
           workers.count + reservedWorkers < limits.workersMax {
            make = maker
            reservedWorkers += 1
        }
        condition.unlock()
        guard let make else {
            logger.warning("the plugin's side calls wait behind a slow call",
                           metadata: ["plugin": "\(worker.app.info.name)", "workers": "\(workerCount)", "waiting": "\(waiting)"])
            return
        }
        var instance: (any Application)?
        do { instance = try make() } catch {
            logger.error("cannot create another instance to route around a slow call",
                         metadata: ["plugin": "\(worker.app.info.name)", "error": "\(error)"])
        }
        condition.lock()
        reservedWorkers -= 1
        var fresh: Worker?
        if let instance, !closed, worker.generation == generation {
            fresh = Worker(app: instance, generation: generation)
            workers[ObjectIdentifier(fresh!)] = fresh
        }
        condition.unlock()
        if let fresh {
            logger.notice("a fresh plugin instance serves the side calls beside a slow one",
                          metadata: ["plugin": "\(worker.app.info.name)", "workers": "\(workerCount)"])
            start(fresh)
        }
    }
}
