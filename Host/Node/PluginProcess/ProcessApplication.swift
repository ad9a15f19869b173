import BatonCrypto
import Consensus
import Foundation
import Logging
import PluginHost
import Synchronization

/// An `Application` whose plugin runs in a child process (`plugin_isolation =
/// "process"`, `baton plugin-host`): the same `.so`, unchanged, behind a Unix
/// socket. The node keeps the app's store (RocksDB) and its batch; the child
/// keeps nothing that survives it.
///
/// When the child dies — a crash, or killed because a call passed its budget
/// (`PluginBudgets`: a hang) — the call in flight fails with kind `.crashed`
/// and the next call starts a fresh child from the committed state. Why the
/// state stays consistent: the child never writes the node's store; a
/// commit's writes come back inside its answer and are staged into the
/// block's batch only then, so the writes of a block whose commit died never
/// land, and the retry starts from exactly the committed state.
///
/// One call at a time per instance (the ABI's [instance] rule), like the
/// in-process plugin; each instance is its own child (the side lane's second
/// instance is a second process).
final class ProcessApplication: Application, @unchecked Sendable {
    // @unchecked: the child and the last commit's updates are guarded by `calling`.
    let library: PluginLibrary
    let executable: String
    let config: [UInt8]
    let store: AppStateStore
    let budgets: PluginBudgets
    let logger: Logger
    let onCompletion: @Sendable (PendingCompletion) -> Void
    private let calling = Mutex(())
    private var child: Child?
    private var lastCommitteeUpdates: [CommitteeUpdate] = []
    /// ABI 1.7 `retain_height` as the last commit's answer brought it; nil before any commit.
    private var lastRetainHeight: UInt64?
    /// The last produced payload's transactions, worked out by the child in
    /// the same round trip; taken by the next `blockTransactions` call.
    private var producedList: (payload: [UInt8], listed: [[UInt8]]?)?
    /// Children started over this instance's life (the first included).
    private(set) var starts = 0
    /// False for a second instance (side calls only: it never commits, so it
    /// may not cache what the first instance's commits change).
    let commits: Bool

    init(library: PluginLibrary, executable: String, config: [UInt8], store: AppStateStore, budgets: PluginBudgets,
         logger: Logger, commits: Bool = true, onCompletion: @escaping @Sendable (PendingCompletion) -> Void) throws {
        self.library = library
        self.commits = commits
        self.executable = executable
        self.config = config
        self.store = store
        self.budgets = budgets
        self.logger = logger
        self.onCompletion = onCompletion
        // Fail at start, not at the first block, if the child cannot run the plugin.
        try calling.withLock { _ in child = try Child.start(self) ; starts += 1 }
    }

    deinit { child?.stop() }

    var info: PluginInfo { library.info }
    var functions: [PluginFunction] { library.functions }
    var committeeUpdates: [CommitteeUpdate] { calling.withLock { _ in lastCommitteeUpdates } }

    func makeSecondInstance() throws -> (any Application)? {
        guard library.allowsSecondInstance else { return nil }
        return try ProcessApplication(library: library, executable: executable, config: config, store: store,
                                      budgets: budgets, logger: logger, commits: false, onCompletion: { _ in })
    }

    // MARK: - Calls

    var checksInBatches: Bool { true }

    func checkTransactions(_ transactions: [[UInt8]]) -> [Result<TransactionVerdict, ApplicationError>] {
        do throws(ApplicationError) {
            guard case .verdicts(let list) = try perform(.checkTx(transactions), "check_tx", budgetMs: budgets.checkTxMs),
                  list.count == transactions.count else { throw unexpected("check_tx") }
            return list
        } catch {
            return Array(repeating: .failure(error), count: transactions.count)
        }
    }

    func checkTransaction(_ transaction: [UInt8]) throws(ApplicationError) -> TransactionVerdict {
        guard case .verdicts(let list) = try perform(.checkTx([transaction]), "check_tx", budgetMs: budgets.checkTxMs),
              let first = list.first else { throw unexpected("check_tx") }
        return try first.get()
    }

    func produceBlock(_ context: BlockContext, candidates: [[UInt8]]) throws(ApplicationError) -> ProduceAnswer {
        guard case .produced(let answer, let listed) = try perform(.produce(context, candidates), "produce_block",
                                                                   budgetMs: budgets.produceBlockMs) else { throw unexpected("produce_block") }
        if case .ready(let payload, _) = answer, let listed { calling.withLock { _ in producedList = (payload, listed) } }
        return answer
    }

    func validateBlock(_ context: BlockContext, payload: [UInt8]) throws(ApplicationError) -> ValidateAnswer {
        guard case .validated(let answer) = try perform(.validate(context, payload), "validate_block",
                                                        budgetMs: budgets.validateBlockMs) else { throw unexpected("validate_block") }
        return answer
    }

    var validatesWithListing: Bool { true }

    func validateListing(_ context: BlockContext, payload: [UInt8])
        -> (listed: Result<[[UInt8]]?, ApplicationError>, answer: Result<ValidateAnswer, ApplicationError>)
    {
        do throws(ApplicationError) {
            guard case .validatedListing(let listed, let answer) = try perform(.validateListing(context, payload), "validate_block",
                                                                               budgetMs: budgets.validateBlockMs)
            else { throw unexpected("validate_block") }
            return (listed, answer)
        } catch {
            return (.failure(error), .failure(error))
        }
    }

    func commitBlock(_ context: BlockContext, payload: [UInt8]) throws(ApplicationError) -> StateHash {
        try commit(context, payload: payload, previous: nil)
    }

    func commitBlock(_ context: BlockContext, payload: [UInt8], migratingFrom previous: PluginInfo)
        throws(ApplicationError) -> StateHash {
        try commit(context, payload: payload, previous: previous)
    }

    private func commit(_ context: BlockContext, payload: [UInt8], previous: PluginInfo?) throws(ApplicationError) -> StateHash {
        guard case .committed(let committed) = try perform(.commit(context, payload, migratingFrom: previous), "commit_block",
                                                          budgetMs: budgets.commitBlockMs) else { throw unexpected("commit_block") }
        // Only now, with the answer in hand, do the block's writes reach the batch.
        do { try store.apply(committed.writes) } catch {
            throw ApplicationError(.failed, call: "commit_block", message: "storing app state failed: \(error)")
        }
        calling.withLock { _ in
            lastCommitteeUpdates = committed.committeeUpdates
            lastRetainHeight = committed.retainHeight
        }
        return committed.hash
    }

    func stateHashFromStore() throws(ApplicationError) -> StateHash? {
        // As long as reading the whole state may take: a budget of its own, generous.
        guard case .bytes(let bytes) = try perform(.stateHashFromStore, "state_hash_from_store", budgetMs: 600_000) else {
            throw unexpected("state_hash_from_store")
        }
        guard !bytes.isEmpty else { return nil }
        guard let hash = StateHash(bytes) else {
            throw ApplicationError(.contractViolation, call: "state_hash_from_store", message: "the plugin process answered \(bytes.count) bytes")
        }
        return hash
    }

    /// The answer that came with the last commit; asked of the child before any.
    func retainHeight() -> UInt64 {
        if let known = calling.withLock({ _ in lastRetainHeight }) { return known }
        guard case .bytes(let bytes)? = try? perform(.retainHeight, "retain_height", budgetMs: 1_000), bytes.count == 8 else { return 0 }
        var reader = WireReader(bytes)
        return (try? reader.u64("retain height")) ?? 0
    }

    func query(_ request: [UInt8]) throws(ApplicationError) -> [UInt8] {
        guard case .bytes(let bytes) = try perform(.query(request), "query", budgetMs: budgets.queryMs) else { throw unexpected("query") }
        return bytes
    }

    func blockTransactions(_ payload: [UInt8]) throws(ApplicationError) -> [[UInt8]]? {
        // The list of the payload just produced came with it (one round trip saved).
        let known: [[UInt8]]?? = calling.withLock { _ in
            defer { producedList = nil }
            return producedList.flatMap { $0.payload == payload ? .some($0.listed) : nil }
        }
        if let known { return known }
        guard case .transactions(let list) = try perform(.blockTransactions(payload), "block_transactions",
                                                         budgetMs: budgets.blockTransactionsMs) else { throw unexpected("block_transactions") }
        return list
    }

    func abandon(_ token: PendingToken) -> Bool {
        guard case .abandoned(let was)? = try? perform(.abandon(token.value), "abandon", budgetMs: 1_000) else { return false }
        return was
    }

    func call(_ function: String, arguments: [FunctionValue]) throws(FunctionCallError) -> FunctionResult {
        let answer: PluginWire.Answer
        do { answer = try perform(.function(function, arguments), "function \(function)", budgetMs: budgets.functionMs) } catch {
            throw .failed(error)
        }
        switch answer {
        case .function(let result): return result
        case .functionFailed(let error): throw error
        default: throw .failed(unexpected("function \(function)"))
        }
    }

    // MARK: - The child

    /// Sends `call` and waits for its answer, at most twice `budgetMs` (then
    /// the child is killed: a hang; the watchdog has reported it at the
    /// budget, and a side call was answered 503 there). Starts a child first
    /// if the last one died.
    private func perform(_ call: PluginWire.Call, _ name: String, budgetMs: UInt64) throws(ApplicationError) -> PluginWire.Answer {
        let result: Result<PluginWire.Answer, ApplicationError> = calling.withLock { _ in
            do throws(ApplicationError) {
                if child == nil || child?.isDead == true {
                    child?.stop()
                    child = try Child.start(self)
                    starts += 1
                    logger.notice("plugin process restarted from the committed state",
                                  metadata: ["plugin": "\(info.name)", "starts": "\(starts)"])
                }
                return .success(try child!.ask(call, name, budgetMs: budgetMs))
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    private func unexpected(_ call: String) -> ApplicationError {
        ApplicationError(.contractViolation, call: call, message: "the plugin process answered another call's kind")
    }

    /// One child process: the call socket (read by the caller, which also
    /// answers the child's store reads inline: no thread hop per round trip)
    /// and the completion socket (read by a thread of its own).
    final class Child: @unchecked Sendable {
        // @unchecked: `dead` is touched only by the caller (one call at a time).
        let process: Process
        let calls: PluginSocket
        let completions: PluginSocket
        let pluginName: String
        let store: AppStateStore
        private(set) var dead: String?

        init(process: Process, calls: PluginSocket, completions: PluginSocket, pluginName: String, store: AppStateStore) {
            self.process = process
            self.calls = calls
            self.completions = completions
            self.pluginName = pluginName
            self.store = store
        }

        var isDead: Bool { dead != nil }

        static func start(_ owner: ProcessApplication) throws(ApplicationError) -> Child {
            var callFDs: [Int32] = [0, 0], completionFDs: [Int32] = [0, 0]
            guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &callFDs) == 0 else {
                throw ApplicationError(.crashed, call: "create", message: "socketpair failed: \(String(cString: strerror(errno)))")
            }
            guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &completionFDs) == 0 else {
                close(callFDs[0]); close(callFDs[1])
                throw ApplicationError(.crashed, call: "create", message: "socketpair failed: \(String(cString: strerror(errno)))")
            }
            let process = Process()
            process.executableURL = URL(fileURLWithPath: owner.executable)
            process.arguments = ["plugin-host", "--plugin", owner.library.path, "--config-hex",
                                 Hex.encode(owner.config)] + (owner.commits ? ["--caches-reads"] : [])
            process.standardInput = FileHandle(fileDescriptor: callFDs[1], closeOnDealloc: false)
            process.standardOutput = FileHandle(fileDescriptor: completionFDs[1], closeOnDealloc: false)
            defer {
                // The child has its own copies: with ours closed, its death
                // is an end of stream here at once (not a wait for a budget).
                close(callFDs[1]); close(completionFDs[1])
            }
            do { try process.run() } catch {
                close(callFDs[0]); close(completionFDs[0])
                throw ApplicationError(.crashed, call: "create", message: "cannot start \(owner.executable) plugin-host: \(error)")
            }
            let completions = PluginSocket(fd: completionFDs[0])
            let child = Child(process: process, calls: PluginSocket(fd: callFDs[0]), completions: completions,
                              pluginName: owner.info.name, store: owner.store)
            let onCompletion = owner.onCompletion, logger = owner.logger, name = owner.info.name
            let thread = Thread {
                while let frame = completions.receive() {
                    var reader = WireReader(frame)
                    do {
                        guard try reader.u8("kind") == PluginWire.Kind.completion.rawValue else {
                            throw PluginWire.DecodeError(description: "not a completion")
                        }
                        onCompletion(try PluginWire.decodeCompletion(&reader))
                    } catch {
                        logger.error("the plugin process sent a completion that does not decode",
                                     metadata: ["plugin": "\(name)", "error": "\(error)"])
                        return
                    }
                }
            }
            thread.name = "baton-plugin-completions"
            thread.start()
            try child.awaitReady()
            return child
        }

        /// The child's first frame: the plugin is loaded and its instance created.
        func awaitReady() throws(ApplicationError) {
            var poller = pollfd(fd: calls.fd, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, Int32(Self.readyMs)) > 0, let frame = calls.receive() else {
                kill(process.processIdentifier, SIGKILL)
                throw die("create", "it did not say it was ready within \(Self.readyMs) ms")
            }
            var reader = WireReader(frame)
            guard (try? reader.u8("kind")) == PluginWire.Kind.ready.rawValue, let ok = try? reader.bool("ok") else {
                throw die("create", "its first frame was not a ready frame")
            }
            if !ok {
                let problem = (try? reader.string("problem")) ?? "no reason given"
                stop()
                dead = problem
                throw ApplicationError(.failed, call: "create", message: "the plugin process could not start the plugin: \(problem)")
            }
        }

        /// How long a child may take to load and create its plugin.
        static let readyMs = 30_000

        /// The answer to `call`, or `.crashed` if the child dies, breaks the
        /// protocol, or runs twice `budgetMs` (then it is killed: a hang).
        func ask(_ call: PluginWire.Call, _ name: String, budgetMs: UInt64) throws(ApplicationError) -> PluginWire.Answer {
            if let dead { throw crashed(name, dead) }
            var writer = WireWriter()
            writer.u8(PluginWire.Kind.call.rawValue)
            writer.call(call)
            guard calls.send(writer.bytes) else { throw die(name, "its socket is closed (it exited)") }
            let hangMs = 2 * min(budgetMs, 3_600_000)
            let deadline = ContinuousClock.now + .milliseconds(Int(hangMs))
            while true {
                var poller = pollfd(fd: calls.fd, events: Int16(POLLIN), revents: 0)
                let left = deadline - ContinuousClock.now
                let leftMs = max(0, Int(left.components.seconds) * 1_000 + Int(left.components.attoseconds / 1_000_000_000_000_000))
                let ready = poll(&poller, 1, Int32(min(leftMs, Int(Int32.max))))
                if ready < 0, errno == EINTR { continue }
                guard ready > 0 else {
                    kill(process.processIdentifier, SIGKILL)
                    throw die(name, "it ran \(hangMs) ms in \(name), twice its budget, and was killed (a hang)")
                }
                guard let frame = calls.receive() else { throw die(name, "its process exited (a crash)") }
                var reader = WireReader(frame)
                do {
                    switch PluginWire.Kind(rawValue: try reader.u8("kind")) {
                    case .answer: return try reader.answer()
                    case .getValue: answerValue(try reader.blob("key", max: PluginWire.frameBytesMax))
                    case .scan: answerScan(try reader.blob("prefix", max: PluginWire.frameBytesMax))
                    default: throw PluginWire.DecodeError(description: "unexpected frame kind")
                    }
                } catch {
                    kill(process.processIdentifier, SIGKILL)
                    throw die(name, "it sent a frame that does not decode (\(error)) and was stopped")
                }
            }
        }

        /// A store read the child asked for while its call runs (committed state).
        private func answerValue(_ key: [UInt8]) {
            var writer = WireWriter()
            writer.u8(PluginWire.Kind.storeValue.rawValue)
            do {
                let value = try store.value(forKey: key)
                writer.bool(true); writer.bool(value != nil)
                if let value { writer.blob(value) }
            } catch { writer.bool(false); writer.string("\(error)") }
            calls.send(writer.bytes)
        }

        private func answerScan(_ prefix: [UInt8]) {
            var entries = WireWriter()
            var count: UInt32 = 0
            var writer = WireWriter()
            writer.u8(PluginWire.Kind.storeEntries.rawValue)
            do {
                try store.forEach(withPrefix: prefix) { key, value in
                    entries.blob(key); entries.blob(value); count += 1
                    return true
                }
                writer.bool(true); writer.u32(count); writer.raw(entries.bytes)
            } catch { writer.bool(false); writer.string("\(error)") }
            calls.send(writer.bytes)
        }

        private func die(_ call: String, _ reason: String) -> ApplicationError {
            dead = reason
            stop()
            return crashed(call, reason)
        }

        private func crashed(_ call: String, _ reason: String) -> ApplicationError {
            ApplicationError(.crashed, call: call, message: "the process of plugin '\(pluginName)' died in \(call): \(reason); the next call restarts it from the committed state")
        }

        func stop() {
            calls.close()
            completions.close()
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        }
    }
}
