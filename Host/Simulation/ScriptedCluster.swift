import BatonCrypto
import Consensus

/// A deterministic network of cores in one process: messages arrive in FIFO order
/// with no delay; when nothing is in flight, time jumps to the next timer.
/// The app answers at once (payload = the view as text; everything valid).
public struct ScriptedCluster {
    public let setup: SimulatedCommittee
    public var nodes: [EventHandler]
    public var now: UInt64 = 1_000
    public var queue: [(to: Int, event: Event)] = []
    public var timers: [(at: UInt64, node: Int, timer: Timer)] = []
    /// Nodes that neither send nor receive (crashed or partitioned).
    public var isolated: Set<Int> = []
    /// Drop messages matching this (for loss scenarios).
    public var drop: (Message) -> Bool = { _ in false }
    public var finalized: [[Block]]
    public var persisted: [[SafetyData]]
    public var evidence: [Evidence] = []
    public var faults: [String] = []
    public var allEffects: [[Effect]] = []
    /// Events handled by all cores (for throughput figures).
    public var eventsHandled = 0
    /// The verifier all cores share: its count is the number of signature checks.
    public let verifier: CountingVerifier
    /// Keep every effect list in `allEffects` (tests); off for benchmarks.
    public var recordEffects = true
    public var followers: [EventHandler] = []
    /// Every block each node ever stored (what its shell would answer block sync from).
    public var stores: [[BlockID: Block]]
    public var followerFinalized: [[Block]] = []

    public init(_ setup: SimulatedCommittee, config: ConsensusConfig = ConsensusConfig(), followers: Int = 0) {
        self.setup = setup
        let verifier = setup.verifier()
        self.verifier = verifier
        nodes = (0..<setup.keys.count).map {
            EventHandler(committee: setup.committee, genesis: setup.genesis, signer: setup.signer($0),
                         verifier: verifier, config: config)
        }
        for _ in 0..<followers {
            self.followers.append(EventHandler(committee: setup.committee, genesis: setup.genesis,
                                               signer: FakeSigner(publicKey: PrivateKey.generate().publicKey),
                                               verifier: verifier, config: config))
        }
        finalized = Array(repeating: [], count: nodes.count)
        followerFinalized = Array(repeating: [], count: followers)
        persisted = Array(repeating: [], count: nodes.count)
        stores = Array(repeating: [setup.genesis.id: setup.genesis], count: nodes.count)
    }

    public mutating func start() {
        for i in nodes.indices { apply(nodes[i].handle(.start(nowMs: now)), from: i) }
    }

    /// Runs until `condition` holds or `stepsMax` events were handled.
    public mutating func run(stepsMax: Int = 100_000, until condition: (ScriptedCluster) -> Bool) {
        var steps = 0
        while !condition(self), steps < stepsMax {
            steps += 1
            if queue.isEmpty {
                guard let next = timers.indices.min(by: { timers[$0].at < timers[$1].at }) else { return }
                let timer = timers.remove(at: next)
                now = max(now, timer.at)
                if isolated.contains(timer.node) { continue }
                apply(nodes[timer.node].handle(.timerFired(timer.timer, nowMs: now)), from: timer.node)
                continue
            }
            let (to, event) = queue.removeFirst()
            if to >= nodes.count {
                let f = to - nodes.count
                let effects = followers[f].handle(event)
                for case .finalized(let fin) in effects { followerFinalized[f] += fin.blocks }
                continue
            }
            if isolated.contains(to) { continue }
            apply(nodes[to].handle(event), from: to)
        }
    }

    public func finalizedHeight(_ i: Int) -> Height { finalized[i].last?.height ?? 0 }

    mutating func apply(_ effects: [Effect], from i: Int) {
        eventsHandled += 1
        if recordEffects { allEffects.append(effects) }
        for effect in effects {
            switch effect {
            case .persistSafetyData(let data): persisted[i].append(data)
            case .broadcast(let message):
                guard !isolated.contains(i), !drop(message) else { continue }
                for j in nodes.indices where j != i { queue.append((j, event(message, from: i))) }
                if case .proposal = message { for f in followers.indices { queue.append((nodes.count + f, event(message, from: i))) } }
            case .send(let message, let j):
                guard !isolated.contains(i), !drop(message) else { continue }
                queue.append((Int(j), event(message, from: i)))
            case .scheduleTimer(let timer, let at): timers.append((at, i, timer))
            case .produceBlock(let context):
                queue.append((i, .payloadProduced(view: context.view, payload: Array("v\(context.view)".utf8), nowMs: now)))
            case .validateBlock(let block, _):
                queue.append((i, .payloadValidated(blockID: block.id, valid: true, nowMs: now)))
            case .finalized(let finalization): finalized[i] += finalization.blocks
            case .fetchBlock(let id, let peer):
                // The peer answers from its store, with up to 16 ancestors, if reachable.
                let p = Int(peer)
                guard !isolated.contains(p), var block = stores[p][id] else { continue }
                var answer = [block]
                while answer.count < 17, let parent = stores[p][block.parentID], parent.view > 0 {
                    answer.append(parent)
                    block = parent
                }
                queue.append((i, .blocksFetched(answer.reversed(), nowMs: now)))
            case .fetchFinalized(let from, let count, let peer):
                // The peer answers with its finalized chain from that height, if reachable.
                let p = Int(peer)
                guard !isolated.contains(p) else { continue }
                let chain = finalized[p].filter { $0.height >= from }.prefix(Int(count))
                if !chain.isEmpty { queue.append((i, .blocksFetched(Array(chain), nowMs: now))) }
            case .persistBlock(let block): stores[i][block.id] = block
            case .evidence(let proof): evidence.append(proof)
            case .safetyFault(let fault): faults.append(fault)
            case .halt(let reason): faults.append(reason.description)
            case .persistLiveness, .enteredView, .dropped, .safetyRecovered, .certified: break
            }
        }
    }

    func event(_ message: Message, from i: Int) -> Event {
        switch message {
        case .proposal(let p): .proposal(p, nowMs: now)
        case .vote(let v): .vote(v, nowMs: now)
        case .timeout(let t): .timeout(t, nowMs: now)
        case .statusRequest(let r): .statusRequest(r, from: ValidatorIndex(i), nowMs: now)
        case .status(let s): .statusReport(s, from: ValidatorIndex(i), nowMs: now)
        default: .mempoolChanged(nonEmpty: false, nowMs: now)
        }
    }

    /// Agreement: every pair of nodes finalized the same block at each height.
    public func agree() -> Bool {
        let chains = finalized + followerFinalized
        for a in chains { for b in chains {
            for (x, y) in zip(a, b) where x.id != y.id { return false }
        } }
        return true
    }
}
