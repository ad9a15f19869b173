import Consensus

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
        /// Holds an honest member's old key, which leaked; the member rotates
        /// it away at a committee change. Silent before; after, it votes for
        /// every proposal it sees with the old key, signed as in the old
        /// epoch — a removed key trying to certify blocks (EP-2 refuses it).
        case leakedKey = "leaked-key"
        /// Runs honestly, then crashes for good at `Scenario.faultStartMs`:
        /// the most common fault there is (LR: it must stop being elected).
        case crashed
        /// From `Scenario.faultStartMs` on, down for the first half of every
        /// `Scenario.flapPeriodMs` and back (with its state) for the second.
        case flapping
        /// Votes and times out like an honest member, never proposes.
        case withholdingProposals = "no-proposals"

        /// What a Byzantine member of a general scenario may do (a leaked
        /// key needs a rotation to mean anything: its own scenario).
        public static let general: [Behavior] = allCases.filter { $0 != .leakedKey }
    }

    /// A committee change, decided when a block at a planned height is
    /// committed (EP-1): that block ends the epoch.
    public enum CommitteeChange: String, Hashable, Sendable {
        /// A node that followed the chain from the start becomes a member.
        case join
        /// A member leaves the committee and stays on as a follower (a
        /// Byzantine member, when there is one: it keeps running).
        case leave
        /// Weights change; a Byzantine member keeps less than a third.
        case reweight
        /// An honest member replaces its key and keeps its place and weight.
        case rotate
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
    /// Committee changes, in order, one every `Simulator.epochSpacing` heights.
    public var committeeChanges: [CommitteeChange] = []
    /// Serving through a fault (LR-7): from `detectionViews` views after the
    /// fault starts, at least this share (per mille) of the views must each
    /// finalize a block of their own. Nil: only eventual progress is checked.
    public var finalizingPermilleMin: Int?
    /// Views a fault may cost before the rate is measured: the lag (LR-1),
    /// the commit that records the failure, and the draws before it counts.
    public static let detectionViews: View = 30
    public static let faultStartMs: UInt64 = 500
    public static let flapPeriodMs: UInt64 = 3_000

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
        for behavior in Behavior.general {
            var s = Scenario(name: behavior.rawValue, gstPercent: 20)
            s.behaviors = [behavior]
            s.network.latencyMs = 1...10
            s.finalizingPermilleMin = Self.finalizingPermilleMin[behavior]
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
        chaos.behaviors = Behavior.general
        list.append(chaos)
        // Committee changes (EP-1 … EP-4), with faults around the switches.
        var join = Scenario(name: "join", gstPercent: 30)
        join.committeeChanges = [.join]
        join.crashes = true
        join.network.latencyMs = 1...10
        list.append(join)
        var leave = Scenario(name: "leave", gstPercent: 30)
        leave.committeeChanges = [.leave]
        leave.behaviors = [.equivocatingLeader]
        leave.network.latencyMs = 1...10
        list.append(leave)
        var reweight = Scenario(name: "reweight", gstPercent: 40)
        reweight.committeeChanges = [.reweight]
        reweight.behaviors = [.doubleVotes]
        reweight.network = Network(latencyMs: 1...20, dropPermille: 50)
        list.append(reweight)
        var rotate = Scenario(name: "rotate", gstPercent: 20)
        rotate.committeeChanges = [.rotate]
        rotate.behaviors = [.leakedKey]
        rotate.network.latencyMs = 1...10
        list.append(rotate)
        var committee = Scenario(name: "committee", gstPercent: 50)
        committee.committeeChanges = [.join, .rotate, .leave, .reweight]
        committee.crashes = true
        committee.behaviors = [.equivocatingLeader, .spam, .replay, .withholding]
        committee.network = Network(latencyMs: 1...20, dropPermille: 50, duplicatePermille: 20, partitions: true)
        list.append(committee)
        return list
    }()

    public static func named(_ name: String) -> Scenario? { all.first { $0.name == name } }

    /// LR-7's bounds, per fault a leader can have. With the weighted-random
    /// draw alone, each fault costs about two views in n (its own, and the
    /// one before, whose votes went to it): ~50 % at n = 4.
    static let finalizingPermilleMin: [Behavior: Int] = [
        .crashed: 800, .withholdingProposals: 800, .withholding: 800, .silent: 800, .flapping: 600,
    ]
}
