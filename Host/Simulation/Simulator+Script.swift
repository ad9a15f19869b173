import BatonCrypto
import Consensus

/// The simulator driven step by step by a test or a benchmark: the same world
/// (cores, stores, apps, block sync, invariant checker) and the same effect
/// interpreter as a sweep, with a network a test controls instead of a
/// seeded one — FIFO, no delay, no loss, and when nothing is in flight time
/// jumps to the next timer.
///
/// Why one interpreter: an effect a core gains must be carried out in every
/// place that runs cores; with the scripted cluster on the simulator's
/// `execute`, that is the node's loop and the simulator, not three places.
///
/// Invariant: a sweep's `script` is nil, and every scripted branch below is
/// taken only when it is not — sweeps keep their trace hashes.
extension Simulator {
    /// What a test steers and what it reads back.
    struct Script {
        /// Nodes that neither send nor receive, and whose timers are lost
        /// (crashed or cut off); set by the test between runs.
        var isolated: Set<Int> = []
        /// A message matching this is lost as it leaves (once per send, not per receiver).
        var drop: (Message) -> Bool = { _ in false }
        /// Keep each node's effect lists in `log` (tests); off for benchmarks.
        var recordsEffects = true
        var log: [(node: Int, effects: [Effect])] = []
        /// Every block each node finalized, in order.
        var finalized: [[Block]]
        /// Time spent inside the cores' `handle` (the benchmark's figure,
        /// without the simulated world and its checker around them).
        var coreTime = Duration.zero

        init(nodes: Int) { finalized = Array(repeating: [], count: nodes) }
    }

    /// A scripted world: `setup`'s members, honest, then `followers` nodes
    /// with keys of their own outside the committee (they track finality
    /// without voting). No scenario: no faults but those the test makes.
    public init(scripted setup: SimulatedCommittee, followers: Int = 0, config: ConsensusConfig = ConsensusConfig()) {
        var parameters = Parameters()
        parameters.nodes = setup.committee.members.count
        parameters.byzantine = 0
        self.parameters = parameters
        seed = 0
        rng = SeededRandom(seed: 0)
        self.setup = setup.withSpares(followers)
        self.config = config
        verifier = setup.verifier()
        checker = StateChecker(realSignatures: setup.realCrypto)
        gstMs = 0
        for key in 0..<(parameters.nodes + followers) { addNode(key: key, behavior: nil) }
        plan = CommitteePlan(setup: self.setup, changes: [], nodeKeys: nodes.map(\.key), byzantineKeys: [],
                             joiner: nil, rotation: nil)
        script = Script(nodes: nodes.count)
    }

    /// Starts every core at the current time.
    public mutating func start() {
        for i in nodes.indices { handle(.start(nowMs: now), at: i) }
    }

    /// Handles the next event due (a message, an app answer, a fetch, or,
    /// when nothing else is in flight, the next timer); false when none is left.
    public mutating func step() -> Bool {
        guard let (time, item) = queue.pop() else { return false }
        now = time
        events += 1
        process(item)
        return true
    }

    /// Hands `event` to node `node` now, after what is already in flight (a
    /// message a test forges, as if it had arrived).
    public mutating func inject(_ event: Event, to node: Int) {
        queue.push(.deliver(event, to: node), at: now)
    }

    /// The node's core as it stands; nil while it is down.
    public func core(_ i: Int) -> EventHandler? { nodes[i].core }
    public var nodeCount: Int { nodes.count }
    public var currentTimeMs: UInt64 { now }
    public var eventsProcessed: Int { events }
    /// Time inside the cores' `handle` since the start.
    public var timeInCores: Duration { script?.coreTime ?? .zero }
    public var committeeSetup: SimulatedCommittee { setup }
    /// The shared verifier: its count is the number of signature checks.
    public var signatureVerifier: CountingVerifier { verifier }
    /// What the invariant checker found (safety, memory bounds, certificates).
    public var invariantViolations: [String] { checker.violations.map(\.description) }

    public var isolated: Set<Int> {
        get { script?.isolated ?? [] }
        set { script?.isolated = newValue }
    }

    public mutating func dropMessages(where predicate: @escaping (Message) -> Bool) { script?.drop = predicate }

    public var recordsEffects: Bool {
        get { script?.recordsEffects ?? false }
        set { script?.recordsEffects = newValue }
    }

    /// Each effect list any node's core returned, with the node, in order.
    public var effectLog: [(node: Int, effects: [Effect])] { script?.log ?? [] }
    public mutating func clearEffectLog() { script?.log.removeAll() }
    public func finalizedBlocks(_ i: Int) -> [Block] { script?.finalized[i] ?? [] }

    // MARK: - The scripted network (called from the interpreter)

    /// Scripted runs: a message to or from an isolated node is lost.
    func scriptAllows(_ a: Int, _ b: Int) -> Bool {
        guard let script else { return true }
        return !script.isolated.contains(a) && !script.isolated.contains(b)
    }

    /// Scripted runs: the test's loss predicate.
    func scriptDrops(_ message: Message) -> Bool { script?.drop(message) ?? false }

    /// A scripted run's core call: timed, and its effects logged when asked.
    mutating func scriptHandle(_ event: Event, at i: Int) -> [Effect] {
        let clock = ContinuousClock()
        let start = clock.now
        // Mutated in place, as in a sweep.
        let effects = nodes[i].core!.handle(event)
        script!.coreTime += start.duration(to: clock.now)
        if script!.recordsEffects { script!.log.append((i, effects)) }
        return effects
    }
}

extension SimulatedCommittee {
    /// The same committee and genesis with `count` more keys after the
    /// existing ones (nodes outside the committee: followers).
    func withSpares(_ count: Int) -> SimulatedCommittee {
        guard count > 0 else { return self }
        return SimulatedCommittee(keys: keys + (0..<count).map { _ in PrivateKey.generate() }, committee: committee,
                                  genesis: genesis, realCrypto: realCrypto)
    }
}
