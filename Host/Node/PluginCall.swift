/// The synchronous plugin calls the node makes, each with its own budget
/// (`PluginBudgets`) and its own series in `baton_plugin_call_seconds`.
public enum PluginCall: String, CaseIterable, Sendable, Hashable {
    case checkTx = "check_tx"
    case query
    /// A typed function (ABI 1.3), any of them.
    case function
    case produceBlock = "produce_block"
    case validateBlock = "validate_block"
    case commitBlock = "commit_block"
    case blockTransactions = "block_transactions"

    /// The ABI's name, as logs, metrics and `/v1/status` spell it.
    public var name: String { rawValue }

    /// Calls made for clients and peers: they run on the side lane
    /// (`PluginSideLane`), never on the consensus loop.
    public var isSideCall: Bool { self == .checkTx || self == .query || self == .function }

    /// Its index in `allCases`, without a search or a hash.
    var position: Int {
        switch self {
        case .checkTx: 0
        case .query: 1
        case .function: 2
        case .produceBlock: 3
        case .validateBlock: 4
        case .commitBlock: 5
        case .blockTransactions: 6
        }
    }
}

/// How long each call may take before it counts as an overrun: logged while
/// it still runs, counted, shown in `/v1/status`; a side call past it answers
/// its client 503. A C call cannot be interrupted, so a budget reports and
/// routes around a slow plugin; it never kills a call.
///
/// The defaults are far above what a healthy plugin needs (the shipped ones
/// answer in microseconds) and below what hurts: a consensus call past about
/// a second costs views (the pacemaker's base timeout is 1 s).
public struct PluginBudgets: Sendable, Hashable {
    public var checkTxMs: UInt64 = 1_000
    public var queryMs: UInt64 = 5_000
    public var functionMs: UInt64 = 5_000
    public var produceBlockMs: UInt64 = 1_000
    public var validateBlockMs: UInt64 = 1_000
    public var commitBlockMs: UInt64 = 2_000
    public var blockTransactionsMs: UInt64 = 1_000

    public init() {}

    public func milliseconds(_ call: PluginCall) -> UInt64 {
        switch call {
        case .checkTx: checkTxMs
        case .query: queryMs
        case .function: functionMs
        case .produceBlock: produceBlockMs
        case .validateBlock: validateBlockMs
        case .commitBlock: commitBlockMs
        case .blockTransactions: blockTransactionsMs
        }
    }
}
