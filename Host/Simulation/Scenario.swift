/// What goes wrong in a run: network faults, crashes, and how the Byzantine
/// members behave. Every knob is explicit so a run is described by
/// (scenario, nodes, byzantine, views, seed) alone.
public struct Scenario: Hashable, Sendable {
    public struct Network: Hashable, Sendable {
        /// Before GST: one-way latency is uniform in latencyMs.
        public var latencyMs: ClosedRange<UInt64> = 1...5
        public var dropPermille = 0
        public var duplicatePermille = 0
        /// Partitions form and heal before GST (each lasts partitionMs).
        public var partitions = false
        public var partitionMs: UInt64 = 3_000
        /// After GST: no loss, latency at most this between honest nodes.
        public var deltaMs: UInt64 = 5
    }

    public enum Behavior: String, Hashable, Sendable, CaseIterable {
        /// Two proposals in one view, one to each half.
        case equivocatingLeader = "equivocate"
        /// Two honest instances share one key.
        case twins
        /// Votes for a second, invented block in each view it votes in.
        case doubleVotes = "double-vote"
        /// Its votes, timeouts and proposals carry broken signatures.
        case invalidSignatures = "bad-signature"
        /// Floods far-future votes, timeouts and proposals.
        case spam
        /// Never sends votes or timeouts.
        case withholding = "withhold"
        /// Re-sends old messages it saw.
        case replay
        /// As leader, proposes with a missing TC or an unneeded one.
        case badTC = "bad-tc"
        /// Sends nothing at all.
        case silent
        /// As leader, proposes with a wrong executed state hash (AA-1: no
        /// honest node may vote for it).
        case wrongStateHash = "bad-state-hash"
        /// Runs an app whose state hashes differ from everyone else's; its
        /// core is unmodified, so it must stop itself (AA-3).
        case divergentApp = "diverged-app"
    }

    public var name: String
    public var network = Network()
    /// Honest nodes crash and restart from their durable state.
    public var crashes = false
    /// A crash loses the node's whole data directory: it restarts new, with
    /// no safety data, and must recover it (SR-R) before signing.
    public var wipes = false
    /// Nodes start the chain as real nodes do, each from a new data
    /// directory: SR-R at launch (the genesis exception).
    public var newNodesRecover = false
    /// Byzantine behaviors; each Byzantine member gets one, round-robin.
    public var behaviors: [Behavior] = []
    /// GST as a fraction of the run's expected length, in percent.
    public var gstPercent: UInt64 = 0

    public static let all: [Scenario] = {
        var list: [Scenario] = []
        list.append(Scenario(name: "happy"))
        var lossy = Scenario(name: "lossy", gstPercent: 40)
        lossy.network = Network(latencyMs: 1...40, dropPermille: 150, duplicatePermille: 50)
        list.append(lossy)
        var partition = Scenario(name: "partition", gstPercent: 50)
        partition.network.partitions = true
        partition.network.latencyMs = 1...20
        list.append(partition)
        var crash = Scenario(name: "crash", gstPercent: 50)
        crash.crashes = true
        crash.network.latencyMs = 1...10
        list.append(crash)
        for behavior in Behavior.allCases {
            var s = Scenario(name: behavior.rawValue, gstPercent: 20)
            s.behaviors = [behavior]
            s.network.latencyMs = 1...10
            list.append(s)
        }
        var wipe = Scenario(name: "wipe", gstPercent: 50)
        wipe.crashes = true
        wipe.wipes = true
        wipe.newNodesRecover = true
        wipe.network.latencyMs = 1...10
        list.append(wipe)
        var chaos = Scenario(name: "chaos", gstPercent: 50)
        chaos.network = Network(latencyMs: 1...30, dropPermille: 80, duplicatePermille: 30, partitions: true)
        chaos.crashes = true
        chaos.behaviors = Behavior.allCases
        list.append(chaos)
        return list
    }()

    public static func named(_ name: String) -> Scenario? { all.first { $0.name == name } }
}
