#if canImport(Glibc)
import Glibc
#endif

/// Names the plugin call that was running when the process dies of a
/// signal (abort, SIGSEGV, SIGBUS, SIGILL, SIGFPE): a plugin is native code
/// in the host's address space, and a Swift backtrace through its frames
/// names neither the plugin nor the call.
///
/// The one global mutable state in the host, and why: a signal handler can
/// reach nothing else. It is a fixed 512-byte buffer holding the line to
/// print, written before each call and cleared after; the handler only
/// `write(2)`s it and lets the signal kill the process at once: Swift's
/// backtracer would symbolicate the plugin's native frames for seconds (11.7 s
/// measured) to name nothing the line does not. A fault outside plugin calls
/// still goes to the handler installed before (the backtracer, or the
/// default); `BATON_PLUGIN_CRASH_BACKTRACE=1` hands plugin faults to it too.
/// Several nodes in one process (tests) share the buffer: the line may then
/// name another node's call.
public enum CrashReport {
    nonisolated(unsafe) static let line = UnsafeMutablePointer<CChar>.allocate(capacity: lineBytes)
    nonisolated(unsafe) static let length = UnsafeMutablePointer<Int>.allocate(capacity: 1)
    nonisolated(unsafe) private static let previous = UnsafeMutablePointer<sigaction>.allocate(capacity: 65)
    /// Read once at install: a signal handler may not read the environment.
    nonisolated(unsafe) private static let backtracePluginFaults = UnsafeMutablePointer<Bool>.allocate(capacity: 1)
    static let lineBytes = 512
    static let signals: [Int32] = [SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT]

    /// Installs the handlers once (the first plugin instance does it).
    static let installed: Bool = {
        length.pointee = 0
        backtracePluginFaults.pointee = getenv("BATON_PLUGIN_CRASH_BACKTRACE").map { String(cString: $0) == "1" } ?? false
        for signal in signals {
            var action = sigaction()
            action.__sigaction_handler.sa_handler = { signal in
                let n = CrashReport.length.pointee
                if n > 0 { _ = write(2, CrashReport.line, n) }
                if n > 0, !CrashReport.backtracePluginFaults.pointee {
                    // In a plugin call: the default action, now (a fault re-raises on return).
                    var fallback = sigaction()
                    fallback.__sigaction_handler.sa_handler = SIG_DFL
                    sigemptyset(&fallback.sa_mask)
                    _ = sigaction(signal, &fallback, nil)
                } else {
                    // The earlier handler takes over; a fault re-raises on return.
                    _ = sigaction(signal, CrashReport.previous + Int(signal), nil)
                }
                if signal == SIGABRT || signal == SIGFPE { raise(signal) }
            }
            sigemptyset(&action.sa_mask)
            action.sa_flags = 0
            _ = sigaction(signal, &action, previous + Int(signal))
        }
        return true
    }()

    /// The plugin calls a line can name.
    enum Call: Int, CaseIterable {
        case create, destroy, checkTx, produceBlock, validateBlock, commitBlock, query, blockTransactions, migrateState
        case stateHashFromStore, retainHeight

        var name: String {
            switch self {
            case .create: "create"
            case .destroy: "destroy"
            case .checkTx: "check_tx"
            case .produceBlock: "produce_block"
            case .validateBlock: "validate_block"
            case .commitBlock: "commit_block"
            case .query: "query"
            case .blockTransactions: "block_transactions"
            case .migrateState: "migrate_state"
            case .stateHashFromStore: "state_hash_from_store"
            case .retainHeight: "retain_height"
            }
        }
    }

    /// One plugin's lines, formatted once: marking a call copies ~150 bytes.
    struct Lines: Sendable {
        let plugin: String
        let bytes: [[UInt8]]
        /// One line per typed function (ABI 1.3), in table order.
        let functionBytes: [[UInt8]]

        init(plugin: String, functions: [String] = []) {
            self.plugin = plugin
            func line(_ call: String) -> [UInt8] {
                Array("baton: the process is dying in plugin '\(plugin)', call \(call): the plugin crashed (fix or replace it)\n"
                    .utf8.prefix(CrashReport.lineBytes))
            }
            bytes = Call.allCases.map { line($0.name) }
            functionBytes = functions.map { line("function \($0)") }
        }

        /// Marks `call` as running until the returned mark is left.
        func enter(_ call: Call) -> Mark { enter(line: bytes[call.rawValue]) }

        /// Marks a block call as running, naming the block: the operator
        /// learns where the chain stopped, and which block to look at.
        func enter(_ call: Call, block context: BlockContext) -> Mark {
            let digits = Array("0123456789abcdef".utf8)
            let hex = context.blockID.prefix(8).flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 15)]] }
            let id = context.blockID.allSatisfy { $0 == 0 } ? "not yet known" : String(decoding: hex, as: UTF8.self)
            let text = "baton: the process is dying in plugin '\(plugin)', call \(call.name) at height \(context.height), "
                + "view \(context.view), block \(id): the plugin crashed on this block (fix or replace it; a restart "
                + "applies the same block again)\n"
            return enter(line: Array(text.utf8.prefix(CrashReport.lineBytes)))
        }

        /// Marks the typed function at `index` as running.
        func enter(function index: Int) -> Mark { enter(line: functionBytes[index]) }

        private func enter(line text: [UInt8]) -> Mark {
            _ = CrashReport.installed
            CrashReport.length.pointee = 0
            text.withUnsafeBufferPointer { source in
                UnsafeMutableRawPointer(CrashReport.line).copyMemory(from: source.baseAddress!, byteCount: source.count)
            }
            CrashReport.length.pointee = text.count
            return Mark()
        }
    }

    struct Mark {
        func leave() { CrashReport.length.pointee = 0 }
    }
}
