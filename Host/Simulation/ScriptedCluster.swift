import BatonCrypto
import Consensus

/// A small deterministic cluster for unit tests and the core benchmark: the
/// simulator (`Simulator+Script`) driven step by step — FIFO messages with no
/// delay, time jumping to the next timer when nothing is in flight, the app
/// answering at once — read as per-node lists. It carries out no effect
/// itself: the simulator's interpreter does, so an effect a core gains is
/// handled in one place for every simulated run.
public struct ScriptedCluster {
    public private(set) var simulator: Simulator
    let members: Int

    public init(_ setup: SimulatedCommittee, config: ConsensusConfig = ConsensusConfig(), followers: Int = 0) {
        simulator = Simulator(scripted: setup, followers: followers, config: config)
        members = setup.committee.members.count
    }

    public var setup: SimulatedCommittee { simulator.committeeSetup }
    /// The members' cores as they stand (copies: a test reads them, or feeds one by hand).
    public var nodes: [EventHandler] { (0..<members).map { simulator.core($0)! } }
    public var followers: [EventHandler] { (members..<simulator.nodeCount).map { simulator.core($0)! } }
    public var now: UInt64 { simulator.currentTimeMs }
    /// Members that neither send nor receive, and whose timers are lost (crashed or cut off).
    public var isolated: Set<Int> {
        get { simulator.isolated }
        set { simulator.isolated = newValue }
    }
    /// Keep every effect list (tests); off for benchmarks.
    public var recordEffects: Bool {
        get { simulator.recordsEffects }
        set { simulator.recordsEffects = newValue }
    }
    /// Events handled, for throughput figures.
    public var eventsHandled: Int { simulator.eventsProcessed }
    /// Time inside the cores' `handle`: the core's share of a run.
    public var timeInCores: Duration { simulator.timeInCores }
    /// The verifier all cores share: its count is the number of signature checks.
    public var verifier: CountingVerifier { simulator.signatureVerifier }
    /// What the simulator's invariant checker found; empty in a correct run.
    public var violations: [String] { simulator.invariantViolations }

    public var finalized: [[Block]] { (0..<members).map { simulator.finalizedBlocks($0) } }
    public var followerFinalized: [[Block]] { (members..<simulator.nodeCount).map { simulator.finalizedBlocks($0) } }
    public func finalizedHeight(_ i: Int) -> Height { simulator.finalizedBlocks(i).last?.height ?? 0 }

    /// Every effect list since the start (or the last `clearEffects`), in order.
    public var allEffects: [[Effect]] { simulator.effectLog.map(\.effects) }
    public mutating func clearEffects() { simulator.clearEffectLog() }
    /// Each member's safety data, in the order it was persisted.
    public var persisted: [[SafetyData]] {
        var lists = [[SafetyData]](repeating: [], count: members)
        for (node, effects) in simulator.effectLog where node < members {
            for case .persistSafetyData(let data) in effects { lists[node].append(data) }
        }
        return lists
    }
    public var evidence: [Evidence] {
        simulator.effectLog.flatMap { $0.effects.compactMap { if case .evidence(let proof) = $0 { proof } else { nil } } }
    }
    /// Safety faults and halts any core reported.
    public var faults: [String] {
        simulator.effectLog.flatMap { $0.effects.compactMap { effect -> String? in
            switch effect {
            case .safetyFault(let fault): fault
            case .halt(let reason): reason.description
            default: nil
            }
        } }
    }

    public mutating func start() { simulator.start() }

    /// Drop messages matching `predicate` as they leave (loss scenarios).
    public mutating func drop(where predicate: @escaping (Message) -> Bool) { simulator.dropMessages(where: predicate) }

    /// Hands a forged message to member `node`, after what is in flight.
    public mutating func inject(_ event: Event, to node: Int) { simulator.inject(event, to: node) }

    /// Runs until `condition` holds, `stepsMax` events were handled, or nothing is left to happen.
    public mutating func run(stepsMax: Int = 100_000, until condition: (ScriptedCluster) -> Bool) {
        var steps = 0
        while !condition(self), steps < stepsMax, simulator.step() { steps += 1 }
    }

    /// Agreement: every pair of nodes (followers too) finalized the same block at each height.
    public func agree() -> Bool {
        let chains = finalized + followerFinalized
        for a in chains { for b in chains {
            for (x, y) in zip(a, b) where x.id != y.id { return false }
        } }
        return true
    }
}
