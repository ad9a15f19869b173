import BatonCrypto
@_spi(Testing) import Consensus

/// Runs N consensus cores in one process over a simulated network and clock,
/// fully determined by (scenario, nodes, byzantine, views, seed).
///
/// Physical nodes are processes; each holds one committee member's key (two
/// hold the same key in the Twins scenario). Honest nodes run an unmodified
/// `EventHandler`; Byzantine ones run one too and then distort what it sends.
public struct Simulator {
    public struct Parameters: Sendable {
        public var nodes = 4
        public var byzantine = 1
        public var views: UInt64 = 60
        public var scenario = Scenario.named("happy")!
        /// The chain's leader election (its genesis decides it for real nodes).
        public var leaderElection = LeaderElectionRule.standard
        /// Honest nodes vote twice in a view: a broken rule the checker must catch.
        public var breakHonestSafetyForTesting = false
        /// Honest nodes vote without checking the executed state hash (AA-1).
        public var breakAppAgreementForTesting = false
        /// Test-only: nodes without safety data sign at once (SR-R off).
        public var skipSafetyRecoveryForTesting = false
        /// Honest nodes keep accepting what the committee before a switch
        /// signed (EP-2 broken): the checker must catch it.
        public var acceptOldCommitteeForTesting = false
        /// Honest nodes skip leaders they saw time out (LR-2 broken: reputation
        /// from local observations): the leader-agreement check must catch it.
        public var localReputationForTesting = false
        public init() {}
    }

    enum Item {
        case deliver(Event, to: Int)
        /// A message between nodes: `epoch` is the sender's, as a node's
        /// transport tags it, so a node behind learns the chain moved on.
        case message(Event, from: Int, epoch: Epoch, to: Int)
        case timer(Timer, node: Int)
        case fetch(BlockID, requester: Int, peer: ValidatorIndex)
        case fetchFinalized(from: Height, count: Int, requester: Int, peer: ValidatorIndex)
        case restart(node: Int)
        case partition(active: Bool)
    }

    struct Node {
        /// Its index in its epoch's committee; `notAMember` for a follower.
        var member: ValidatorIndex
        let behavior: Scenario.Behavior?
        var signer: any MessageSigner
        /// The index of its key in `setup.keys` (a rotation changes it).
        var key: Int
        var epoch: Epoch = 0
        /// The committee of its epoch as it runs (with the newcomer grace, EP-5).
        var committee: Committee
        var core: EventHandler?
        var store: DurableStore
        var app: SimulatedApp
        var seen: [Message] = []
        var honest: Bool { behavior == nil }
    }

    /// The index a node outside the committee uses: no committee has that many members.
    static let notAMember = ValidatorIndex.max

    let parameters: Parameters
    let seed: UInt64
    let setup: SimulatedCommittee
    /// The committee of each epoch and where each epoch ends (EP-1).
    var plan: CommitteePlan!
    let config: ConsensusConfig
    var rng: SeededRandom
    var nodes: [Node] = []
    /// Each node's current view (nil while crashed), kept beside the cores so
    /// reading it never copies a core.
    var views: [View?] = []
    var queue = EventQueue<Item>()
    var now: UInt64 = 0
    var checker = StateChecker()
    var traceHash = Bytes32.zero
    var recent: [String] = []
    var events = 0
    var crashCount = 0
    var evidenceCount = 0
    var invalidDropped = 0
    /// Byzantine nodes with a divergent app that stopped themselves (AA-3).
    var divergenceHalts = 0
    /// Proposals honest nodes refused for a wrong executed state hash (AA-1).
    var appDisagreements = 0
    var partition: Set<Int>? = nil
    /// Wipes: the floor a wiped node recovered (SR-R). Until it is in a view
    /// above it, the node cannot sign in the views the chain is in, so it
    /// counts as a fault: the next crash waits for it (f = 1 at n = 4).
    var recoveringFloor: [Int: View] = [:]
    /// Wiped nodes restarted and still recovering (SR-R not complete).
    var wiped: Set<Int> = []
    let gstMs: UInt64
    /// Per honest node: the view it was in when it last finalized (or at GST),
    /// and when its view last changed.
    var livenessFrom: [Int: View] = [:]
    /// The leaders honest nodes elected for each view they entered, by key:
    /// the liveness bound counts views with one honest leader (LR-2).
    var leadersSeen: [View: Set<PublicKey>] = [:]
    /// LR-7: the views whose own block honest nodes finalized.
    var finalizedViews: Set<View> = []
    /// The furthest honest view when the scenario's fault began.
    var faultView: View?
    /// LR-7's measured share (per mille), when the scenario has a bound.
    var finalizingPermille: Int?
    var epochSwitches = 0
    var nextLivenessCheckMs: UInt64 = 0
    var viewChangedAt: [Int: (view: View, atMs: UInt64)] = [:]
    let verifier: CountingVerifier
    /// Set for a run a test steers step by step (`Simulator+Script`); nil in sweeps.
    var script: Script?
    var firstViolationTrace: [String] = []
    /// Print every trace line (diagnosis of one seed).
    public var printTrace = false

    public init(_ parameters: Parameters, seed: UInt64) {
        precondition(parameters.byzantine * 3 < parameters.nodes, "at most f < n/3 Byzantine members")
        self.parameters = parameters
        self.seed = seed
        rng = SeededRandom(seed: seed)
        verifier = CountingVerifier()
        var keyRng = rng.fork()
        let changes = parameters.scenario.committeeChanges
        setup = SimulatedCommittee(n: parameters.nodes, seed: keyRng.next(),
                                   spares: (changes.contains(.join) ? 1 : 0) + (changes.contains(.rotate) ? 1 : 0))
        var config = ConsensusConfig()
        config.pacemaker.timeoutMsBase = 500
        config.pacemaker.timeoutMsMax = 4_000
        config.pacemaker.idleBlockIntervalMs = 100
        // Short runs leave nodes only a few blocks behind: a small distance and
        // batch make lagging nodes catch up by height too, under every fault.
        config.catchUpDistance = 4
        config.catchUpBatch = 8
        config.leaderElection = parameters.leaderElection
        self.config = config
        let expectedViewMs: UInt64 = 150
        gstMs = parameters.views * expectedViewMs * parameters.scenario.gstPercent / 100
        buildNodes()
    }

    /// Byzantine members: `byzantine` distinct indices chosen by the seed;
    /// behaviors assigned round-robin from the scenario's list.
    mutating func buildNodes() {
        var members = Array(0..<parameters.nodes)
        members.shuffle(using: &rng)
        let faulty = parameters.scenario.behaviors.isEmpty ? [] : Array(members.prefix(parameters.byzantine))
        var byzantineKeys = Set<Int>()
        var rotating: (from: Int, node: Int)?
        for member in 0..<parameters.nodes {
            let position = faulty.firstIndex(of: member)
            let behavior = position.map { parameters.scenario.behaviors[$0 % parameters.scenario.behaviors.count] }
            // A leaked key: the member itself is honest, a second node holds its key.
            let copies: [Scenario.Behavior?] = behavior == .twins ? [.twins, .twins]
                : behavior == .leakedKey ? [nil, .leakedKey] : [behavior]
            if let behavior, behavior != .leakedKey { byzantineKeys.insert(member) }
            if behavior == .leakedKey { rotating = (member, nodes.count) }
            for copy in copies { addNode(key: member, behavior: copy) }
        }
        // The rotating member: the one whose key leaked, else the first honest one.
        if rotating == nil, let honest = nodes.indices.first(where: { nodes[$0].honest }) {
            rotating = (nodes[honest].key, honest)
        }
        let changes = parameters.scenario.committeeChanges
        var spare = parameters.nodes
        var joiner: Int?
        if changes.contains(.join) {
            joiner = spare
            addNode(key: spare, behavior: nil)  // a follower until it joins
            spare += 1
        }
        plan = CommitteePlan(setup: setup, changes: changes, nodeKeys: nodes.map(\.key), byzantineKeys: byzantineKeys,
                             joiner: joiner, rotation: rotating.map { ($0.from, spare, $0.node) })
    }

    mutating func addNode(key: Int, behavior: Scenario.Behavior?) {
        let store = DurableStore(genesis: setup.genesis, safetyLost: parameters.scenario.newNodesRecover)
        var core = EventHandler(committee: setup.committee, genesis: setup.genesis, signer: setup.signer(key),
                                verifier: verifier, config: config, recovery: store.recovery)
        if parameters.breakHonestSafetyForTesting, behavior == nil { core.allowDoubleVotesForTesting() }
        if parameters.breakAppAgreementForTesting, behavior == nil { core.ignoreAppAgreementForTesting = true }
        if parameters.skipSafetyRecoveryForTesting, behavior == nil { core.skipSafetyRecoveryForTesting() }
        if parameters.localReputationForTesting, behavior == nil { core.localReputationForTesting = true }
        let member = setup.committee.index(of: setup.keys[key].publicKey) ?? Self.notAMember
        nodes.append(Node(member: member, behavior: behavior, signer: setup.signer(key), key: key, committee: setup.committee,
                          core: core, store: store, app: SimulatedApp(divergent: behavior == .divergentApp)))
        views.append(core.currentView)
    }

    /// The committee node `i` is in now.
    func committee(of i: Int) -> Committee { nodes[i].committee }

    /// Runs until the honest nodes reach the target view (and the post-GST
    /// liveness window has been watched), or a bound is hit.
    public mutating func run() -> SimulationReport {
        for i in nodes.indices { handle(.start(nowMs: 0), at: i) }
        if parameters.scenario.network.partitions {
            queue.push(.partition(active: true), at: 200)
            queue.push(.partition(active: false), at: gstMs)  // GST heals every partition
        }
        if parameters.scenario.crashes { scheduleCrash() }
        let endMs = gstMs + parameters.views * config.pacemaker.timeoutMsMax
        let eventsMax = 2_000_000
        while let (time, item) = queue.pop() {
            now = time
            events += 1
            process(item)
            if !checker.violations.isEmpty {
                firstViolationTrace = recent
                break
            }
            if honestView >= parameters.views, now >= gstMs + 2_000 { break }
            if now > endMs || events > eventsMax { break }
        }
        checkLivenessAtEnd()
        checkFinalizingRate()
        if firstViolationTrace.isEmpty, !checker.violations.isEmpty { firstViolationTrace = recent }
        return report()
    }

    var honestNodes: [Int] { nodes.indices.filter { nodes[$0].honest } }
    var honestView: View { honestNodes.compactMap { views[$0] }.max() ?? 0 }

    mutating func process(_ item: Item) {
        switch item {
        case .deliver(let event, let to):
            guard nodes[to].core != nil, scriptAllows(to, to) else { return }
            handle(event, at: to)
        case .message(let event, let from, let epoch, let to):
            guard nodes[to].core != nil, scriptAllows(from, to) else { return }
            deliver(event, from: from, epoch: epoch, to: to)
        case .timer(let timer, let node):
            guard nodes[node].core != nil, scriptAllows(node, node) else { return }
            handle(.timerFired(timer, nowMs: now), at: node)
        case .fetch(let id, let requester, let peer):
            answerFetch(id, requester: requester, peer: peer)
        case .fetchFinalized(let from, let count, let requester, let peer):
            answerFetchFinalized(from: from, count: count, requester: requester, peer: peer)
        case .restart(let node):
            restart(node)
        case .partition(let active):
            togglePartition(active)
        }
        // Liveness is about time: checking every 50 simulated ms is exact enough
        // and keeps the check off the per-event path (it walks every node).
        // A scripted run's faults are the test's, so are its liveness claims.
        guard script == nil else { return }
        if faultView == nil, now >= Scenario.faultStartMs { faultView = honestView }
        if now > gstMs, now >= nextLivenessCheckMs {
            nextLivenessCheckMs = now + 50
            checkLiveness()
        }
    }

    mutating func handle(_ event: Event, at i: Int) {
        guard nodes[i].core != nil else { return }
        if script == nil { record(i, event) }
        // Mutated in place: copying a core out and back would copy all its state per event.
        let effects = script == nil ? nodes[i].core!.handle(event) : scriptHandle(event, at: i)
        let diagnostics = nodes[i].core!.diagnostics
        views[i] = diagnostics.currentView
        // As in a node's loop: what the app reached at once is the next event.
        let followUps = execute(effects, from: i)
        if nodes[i].honest {
            checker.memory(diagnostics, config: config, node: i, view: diagnostics.currentView,
                           finalizedView: diagnostics.finalizedView)
        }
        for event in followUps { handle(event, at: i) }
    }

    /// Returns the follow-up events (the app's executed states).
    mutating func execute(_ effects: [Effect], from i: Int) -> [Event] {
        var followUps: [Event] = []
        for effect in effects {
            switch effect {
            case .persistSafetyData(let data): nodes[i].store.writeSynchronously(data)
            case .persistLiveness(let data): nodes[i].store.writeLazily(.liveness(data))
            case .persistBlock(let block): nodes[i].store.writeLazily(.block(block))
            case .broadcast(let message):
                observeSigned(message, from: i)
                if scriptDrops(message) { continue }
                for (target, out) in distort(message, from: i, to: nil) { sendOut(out, from: i, to: target) }
            case .send(let message, let member):
                observeSigned(message, from: i)
                if scriptDrops(message) { continue }
                for (target, out) in distort(message, from: i, to: member) { sendOut(out, from: i, to: target) }
            case .scheduleTimer(let timer, let at): queue.push(.timer(timer, node: i), at: max(at, now))
            case .produceBlock(let context):
                queue.push(.deliver(.payloadProduced(view: context.view, payload: Array("v\(context.view)".utf8), nowMs: now + 1), to: i), at: now + 1)
            case .validateBlock(let block, _):
                queue.push(.deliver(.payloadValidated(blockID: block.id, valid: true, nowMs: now + 1), to: i), at: now + 1)
            case .finalized(let finalization):
                // The old core's remaining effects are void once its epoch is over.
                if commit(finalization, at: i, followUps: &followUps) == .epochEnded { return [] }
            case .fetchBlock(let id, let peer):
                queue.push(.fetch(id, requester: i, peer: peer), at: now + latency())
            case .fetchFinalized(let from, let count, let peer):
                queue.push(.fetchFinalized(from: from, count: Int(count), requester: i, peer: peer), at: now + latency())
            case .safetyFault(let fault):
                if nodes[i].honest { checker.fail("safety fault", "node \(i): \(fault)") }
            case .halt(let reason):
                if nodes[i].honest { checker.fail("halt", "node \(i): \(reason)") }
                if case .appDiverged = reason, nodes[i].behavior == .divergentApp {
                    // It stops itself, as a real node exits: down for good.
                    divergenceHalts += 1
                    nodes[i].core = nil
                    views[i] = nil
                    record(i, nil, note: "halted: \(reason)")
                    return []
                }
            case .dropped(.appStateDisagrees): if nodes[i].honest { appDisagreements += 1 }
            case .evidence: if nodes[i].honest { evidenceCount += 1 }
            case .dropped(.invalid): if nodes[i].honest { invalidDropped += 1 }
            case .enteredView(let view, _):
                if nodes[i].honest { noteLeader(of: view, node: i) }
                if let floor = recoveringFloor[i], view > floor {
                    recoveringFloor[i] = nil
                    scheduleCrash()
                }
            case .dropped, .certified: break
            case .safetyRecovered(let floor):
                nodes[i].store.safetyRecovered()
                record(i, nil, note: "safety recovered: refuses through v\(floor)")
                if wiped.remove(i) != nil { recoveringFloor[i] = floor }
            }
        }
        return followUps
    }

    enum CommitOutcome { case committed, epochEnded }

    /// Commits what node `i` finalized: store, app (its executed states are
    /// follow-ups), checker. EP-1: nothing above the epoch's last block is
    /// committed; at that block the node switches epochs.
    mutating func commit(_ finalization: Forks.Finalization, at i: Int, followUps: inout [Event]) -> CommitOutcome {
        let end = plan.endHeight(of: nodes[i].epoch)
        let blocks = finalization.blocks.filter { end == nil || $0.height <= end! }
        for (index, block) in blocks.enumerated() {
            if index < finalization.leaderRecords.count {
                nodes[i].store.writeLazily(.leaderRecord(finalization.leaderRecords[index]))
            }
            nodes[i].store.writeLazily(.finalized(block))
            if let (height, hash) = nodes[i].app.commit(block) {
                if nodes[i].honest { checker.executed(height: height, hash: hash, node: i) }
                followUps.append(.stateExecuted(height: height, stateHash: hash))
            }
        }
        script?.finalized[i] += blocks
        if nodes[i].honest {
            for block in blocks { finalizedViews.insert(block.view) }
            checker.finalized(blocks, node: i, nowMs: now)
            checker.certified(finalization, node: i, committee: committee(of: i), root: nodes[i].store.epochRoot)
            noteFinalized(node: i)
        }
        guard let end, let root = blocks.last, root.height == end else { return .committed }
        let next = plan.committees[Int(nodes[i].epoch) + 1]
        switchEpoch(i, to: EpochChange(committee: next, root: root, finalization: finalization)!)
        return .epochEnded
    }

    /// Honest nodes' signatures feed the double-vote invariant.
    mutating func observeSigned(_ message: Message, from i: Int) {
        guard nodes[i].honest else { return }
        switch message {
        case .vote(let vote): checker.signed(vote, node: i, key: nodes[i].signer.publicKey, epoch: nodes[i].epoch)
        case .proposal(let proposal):
            checker.signed(proposal.proposerVote, node: i, key: nodes[i].signer.publicKey, epoch: nodes[i].epoch)
            checker.proposed(proposal, node: i, committee: committee(of: i), root: nodes[i].store.epochRoot)
        case .timeout(let timeout):
            checker.sent(qc: timeout.highQC, tc: timeout.lastViewTC, node: i, committee: committee(of: i),
                         root: nodes[i].store.epochRoot)
        default: break
        }
    }

    /// `to == nil`: every other node. Messages to a member reach every node
    /// holding its key (both twins).
    mutating func sendOut(_ message: Message, from i: Int, to member: ValidatorIndex?) {
        // A member is addressed by its key in the sender's committee (nodes
        // in another epoch may number it differently).
        let key = member.flatMap { committee(of: i).publicKey(of: $0) }
        for j in nodes.indices where j != i && (member == nil || setup.keys[nodes[j].key].publicKey == key) {
            guard reachable(i, j) else { continue }
            let network = parameters.scenario.network
            if now < gstMs, rng.chance(network.dropPermille) { continue }
            let copies = now < gstMs && rng.chance(network.duplicatePermille) ? 2 : 1
            for _ in 0..<copies {
                let at = now + latency()
                queue.push(.message(event(message, from: nodes[i].member, at: at), from: i, epoch: nodes[i].epoch, to: j), at: at)
            }
        }
    }

    func event(_ message: Message, from member: ValidatorIndex, at: UInt64) -> Event {
        switch message {
        case .statusRequest(let r): .statusRequest(r, from: member, nowMs: at)
        case .status(let s): .statusReport(s, from: member, nowMs: at)
        case .proposal(let p): .proposal(p, nowMs: at)
        case .vote(let v): .vote(v, nowMs: at)
        case .timeout(let t): .timeout(t, nowMs: at)
        // A certificate alone (a recovering leader forwards the QC it formed).
        case .blockResponse(let r) where r.blocks.isEmpty && r.lastBlockQC != nil: .certificateFetched(r.lastBlockQC!, nowMs: at)
        case .blockResponse(let r): .blocksFetched(r.blocks, nowMs: at)
        case .blockRequest, .transactions, .epoch, .stateSync: .mempoolChanged(nonEmpty: false, nowMs: at)
        }
    }

    mutating func latency() -> UInt64 {
        guard script == nil else { return 0 }
        return now < gstMs ? rng.uniform(parameters.scenario.network.latencyMs)
                    : rng.uniform(1...parameters.scenario.network.deltaMs)
    }

    func reachable(_ a: Int, _ b: Int) -> Bool {
        guard scriptAllows(a, b) else { return false }
        guard let side = partition else { return true }
        return side.contains(a) == side.contains(b)
    }

    /// The peer's shell answers from its store: the block and up to 16 ancestors.
    mutating func answerFetch(_ id: BlockID, requester: Int, peer: ValidatorIndex) {
        guard let j = node(peer, askedBy: requester),
              reachable(requester, j), !isDown(j), var block = nodes[j].store.block(id) else { return }
        var blocks = [block]
        while blocks.count < 17, let parent = nodes[j].store.block(block.parentID), parent.view > 0 {
            blocks.append(parent)
            block = parent
        }
        let at = now + latency()
        queue.push(.deliver(.blocksFetched(blocks.reversed(), nowMs: at), to: requester), at: at)
    }

    mutating func answerFetchFinalized(from height: Height, count: Int, requester: Int, peer: ValidatorIndex) {
        guard let j = node(peer, askedBy: requester), reachable(requester, j), !isDown(j) else { return }
        var blocks = nodes[j].store.finalizedBlocks(from: height, limit: count)
        // EP-4: for a node still in an epoch this one has left, the chain of
        // that epoch ends at its root; the root's certified descendants and
        // their QC (the switch record) make the root final there too.
        var certificate: QuorumCertificate?
        if nodes[j].epoch > nodes[requester].epoch, let change = nodes[j].store.changes[nodes[requester].epoch + 1] {
            blocks = blocks.filter { $0.height <= change.root.height }
            if blocks.last?.id == change.root.id {
                blocks += change.above
                certificate = change.qc
            }
        }
        guard !blocks.isEmpty else { return }
        let at = now + latency()
        queue.push(.deliver(.blocksFetched(blocks, nowMs: at), to: requester), at: at)
        if let certificate { queue.push(.deliver(.certificateFetched(certificate, nowMs: at), to: requester), at: at) }
    }

    /// The live node holding the key of member `peer` of the requester's committee.
    func node(_ peer: ValidatorIndex, askedBy requester: Int) -> Int? {
        guard let key = committee(of: requester).publicKey(of: peer) else { return nil }
        return nodes.indices.first { setup.keys[nodes[$0].key].publicKey == key && nodes[$0].core != nil }
    }

    // MARK: - Faults over time

    mutating func togglePartition(_ active: Bool) {
        guard now < gstMs else {
            partition = nil
            return
        }
        if !active, partition == nil { return }
        if active {
            var side = Set<Int>()
            for i in nodes.indices where rng.chance(500) { side.insert(i) }
            partition = side
        } else {
            partition = nil
        }
        queue.push(.partition(active: !active), at: now + parameters.scenario.network.partitionMs)
    }

    /// One honest node at a time crashes before GST and restarts later.
    mutating func scheduleCrash() {
        let honest = honestNodes
        guard !honest.isEmpty else { return }
        let victim = honest[Int(rng.next() % UInt64(honest.count))]
        let crashAt = now + rng.uniform(300...3_000)
        guard crashAt < gstMs else { return }
        queue.push(.restart(node: victim), at: crashAt)  // first .restart of a live node crashes it
    }

    mutating func restart(_ i: Int) {
        if nodes[i].core != nil {
            nodes[i].core = nil
            views[i] = nil
            crashCount += 1
            if parameters.scenario.wipes {
                // The whole data directory is gone: a new store, a new app.
                nodes[i].store = DurableStore(genesis: setup.genesis, safetyLost: true)
                nodes[i].app = SimulatedApp(divergent: nodes[i].behavior == .divergentApp)
            } else {
                nodes[i].store.crash(&rng)
                nodes[i].app.rollBack(to: nodes[i].store.recovery.finalized.height)
            }
            queue.removeAll { if case .timer(_, let node) = $0 { node == i } else { false } }
            record(i, nil, note: "crash")
            queue.push(.restart(node: i), at: min(now + rng.uniform(500...4_000), max(gstMs, now + 1)))
            return
        }
        startCore(i)
        record(i, nil, note: "restart")
        handle(.stateExecuted(height: nodes[i].app.height, stateHash: nodes[i].app.hash), at: i)
        handle(.start(nowMs: now), at: i)
        // A wiped node is a fault until it signs again (see `recoveringFloor`).
        if parameters.scenario.wipes { wiped.insert(i) } else { scheduleCrash() }
    }

    // MARK: - Liveness

    /// One leader, held by honest nodes only, for every honest node that
    /// entered `view`; false for a view no honest node entered.
    func honestLeader(_ view: View) -> Bool {
        guard let keys = leadersSeen[view], keys.count == 1, let key = keys.first else { return false }
        let holders = nodes.indices.filter { setup.keys[nodes[$0].key].publicKey == key }
        return holders.contains { nodes[$0].honest } && !holders.contains { !nodes[$0].honest }
    }

    /// LR-2, and the leaders the liveness bound counts: what honest node `i`
    /// elected for the view it entered, with the anchor it elected from.
    mutating func noteLeader(of view: View, node i: Int) {
        guard let core = nodes[i].core, let key = core.committee.publicKey(of: core.leader(of: view)) else { return }
        leadersSeen[view, default: []].insert(key)
        if printTrace {
            let anchor = core.election.anchor(of: view).map { "h\($0.height)" } ?? "none"
            let standings = core.election.standings.map { "\($0.member):\($0.kind.rawValue)" }.joined(separator: " ")
            print("\(now) n\(i) leader of v\(view): \(core.leader(of: view)) (anchor \(anchor); \(standings))")
        }
        checker.elected(key, view: view, epoch: nodes[i].epoch, anchor: core.election.anchor(of: view), node: i)
    }

    /// Jolteon's liveness guarantee, made exact for the leaders the honest
    /// nodes elected: after GST, a node in view v finalizes a block by the end
    /// of the first window of three consecutive honest leaders after v (the
    /// first two blocks get certified, the third leader's proposal carries the
    /// second QC), plus two views for the view synchronization. The bound
    /// after `from`, if it lies below `view`.
    func boundPassed(from: View, at view: View) -> View? {
        var w = from + 1
        while w + 4 < view {
            if honestLeader(w), honestLeader(w + 1), honestLeader(w + 2) { return w + 4 }
            w += 1
        }
        return nil
    }

    /// After GST every honest node finalizes within the bound in views, and
    /// its view keeps moving (at most two maximal timeouts per view).
    mutating func checkLiveness() {
        let settleMs: UInt64 = 1_000
        guard now > gstMs + settleMs else { return }
        for i in honestNodes {
            guard let currentView = views[i] else { continue }
            // Measured from the furthest honest view: a node that was behind
            // may jump there at once on the first certificate it sees.
            let from = livenessFrom[i] ?? honestView
            if livenessFrom[i] == nil { livenessFrom[i] = from }
            if let bound = boundPassed(from: from, at: currentView) {
                checker.fail("liveness", "honest node \(i) reached view \(currentView) without finalizing since view \(from) (bound \(bound))")
            }
            let changed = viewChangedAt[i]
            if changed?.view != currentView {
                viewChangedAt[i] = (currentView, now)
            } else if let changed, now - changed.atMs > 2 * config.pacemaker.timeoutMsMax + 1_000 {
                checker.fail("liveness", "honest node \(i) stuck in view \(currentView) for \(now - changed.atMs) ms after GST")
            }
        }
    }

    /// A finalization resets the node's liveness window.
    mutating func noteFinalized(node i: Int) {
        if now > gstMs { livenessFrom[i] = honestView }
    }

    mutating func checkLivenessAtEnd() {
        guard checker.violations.isEmpty, now >= gstMs + 2_000 else { return }
        for i in honestNodes where (checker.lastFinalizedAtMs[i] ?? 0) <= gstMs && views[i] != nil {
            let view = views[i] ?? 0
            if boundPassed(from: livenessFrom[i] ?? view, at: view) != nil {
                checker.fail("liveness", "honest node \(i) finalized nothing after GST (\(gstMs) ms, run ended at \(now) ms)")
            }
        }
    }

    /// LR-7: in a scenario with a rate bound, the share of views from
    /// `detectionViews` after the fault began whose own block was finalized
    /// (the last three views are still in flight at the end).
    mutating func checkFinalizingRate() {
        guard let permilleMin = parameters.scenario.finalizingPermilleMin, let faultView, checker.violations.isEmpty,
              honestView > faultView + Scenario.detectionViews + 3 + 20 else { return }
        let first = faultView + Scenario.detectionViews, last = honestView - 3
        let finalizing = (first...last).count { finalizedViews.contains($0) }
        let permille = finalizing * 1_000 / Int(last - first + 1)
        finalizingPermille = permille
        if permille < permilleMin {
            checker.fail("liveness rate", "\(finalizing) of views \(first)...\(last) finalized a block of their own: \(permille) ‰, bound \(permilleMin) ‰")
        }
    }

    // MARK: - Trace

    mutating func record(_ i: Int, _ event: Event?, note: String? = nil) {
        let line = "\(now) n\(i) " + (note ?? event.map(Self.summary) ?? "")
        var bytes = traceHash.bytes
        bytes.append(contentsOf: line.utf8)
        traceHash = SHA256Digest.hash(bytes)
        recent.append(line)
        if printTrace { print(line) }
        if recent.count > 40 { recent.removeFirst(recent.count - 40) }
    }

    static func summary(_ event: Event) -> String {
        switch event {
        case .start: "start"
        case .proposal(let p, _): "recv \(p)"
        case .vote(let v, _): "recv \(v)"
        case .timeout(let t, _): "recv \(t)"
        case .timerFired(let t, _): "timer \(t)"
        case .payloadProduced(let view, _, _, _, _): "produced v\(view)"
        case .payloadValidated(let id, let valid, _): "validated \(id.short) \(valid)"
        case .blocksFetched(let blocks, _): "fetched \(blocks.count) blocks"
        case .certificateFetched(let qc, _): "fetched \(qc)"
        case .behind(let hint, _): "behind (ask \(hint))"
        case .mempoolChanged: "mempool"
        case .stateExecuted(let h, _): "executed h\(h)"
        case .statusRequest(let r, let from, _): "status request \(r.nonce) from \(from)"
        case .statusReport(let s, let from, _): "status v\(s.certifiedView) from \(from)"
        }
    }

    func report() -> SimulationReport {
        var report = SimulationReport(seed: seed, scenario: parameters.scenario.name, nodes: parameters.nodes,
                         byzantine: parameters.scenario.behaviors.isEmpty ? 0 : parameters.byzantine,
                         views: honestView, blocksFinalized: checker.heightsAgreed, events: events, simulatedMs: now,
                         traceHash: traceHash.hex, violations: checker.violations.map(\.description),
                         livenessViolations: checker.violations.filter { $0.invariant.hasPrefix("liveness") }.count,
                         trace: firstViolationTrace.isEmpty ? recent : firstViolationTrace, crashes: crashCount,
                         evidence: evidenceCount, invalidDropped: invalidDropped, divergenceHalts: divergenceHalts,
                         appDisagreements: appDisagreements)
        report.epochSwitches = epochSwitches
        report.finalizingPermille = finalizingPermille
        report.epochReached = honestNodes.map { nodes[$0].epoch }.max() ?? 0
        return report
    }
}

extension Simulator {
    /// One line per node: where its core stands (for diagnosing a failed run).
    public func nodeStates() -> [String] {
        nodes.indices.map { i in
            guard let core = nodes[i].core else { return "n\(i) member \(nodes[i].member): down" }
            let d = core.diagnostics
            return "n\(i) member \(nodes[i].member) \(nodes[i].behavior?.rawValue ?? "honest"): view \(core.currentView), "
                + "highQC v\(core.pacemaker.highestQC.view), finalized v\(core.forks.finalized.view) h\(core.forks.finalized.height), "
                + "voted v\(core.safety.data.highestVotedView), timedOut v\(core.safety.data.highestTimeoutView), "
                + "forks \(d.forkBlocks), pending \(d.pendingBlocks), fetches \(d.outstandingFetches)"
        }
    }
}
