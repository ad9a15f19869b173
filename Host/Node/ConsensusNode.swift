import BatonCrypto
import Consensus
import Storage
import Synchronization
import Logging
import PluginHost
import Governance

/// One Baton node: the shell around a consensus core (swift-cluster-
/// membership's `SWIMNIOShell` shape). It works over small protocols — an
/// `Application`, a `ConsensusStore`, a `PeerTransport`, a `NodeClock` — so
/// a test can run it with none of the real parts.
///
/// The loop (`run`) is the only caller of `core.handle`: it takes one input
/// from the bounded `InputQueue`, hands the core one event, and carries out
/// the effects in order to the end before the core sees anything else. What
/// the effects produce at once (the app's synchronous answers, the state a
/// commit reached) is queued as a follow-up event, exactly like the app's
/// late answers, and handled after the list is done. Safety data is written
/// synchronously before the vote or timeout that follows it leaves
/// (`ConsensusStore.saveSafetyData` returns only once it is durable).
public actor ConsensusNode {
    public struct Status: Sendable, Hashable {
        public var view: View = 0
        public var finalizedHeight: Height = 0
        public var finalizedID: BlockID = .zero
        public var stateHash: Bytes32 = .zero
        public var peers = 0
        /// Connections refused because their key already had a live one.
        public var duplicateKeyConnections = 0
        /// AA-3: this node's app disagreed with a certified state hash; it stopped.
        public var appDivergence: AppAgreement.Mismatch?
        /// AA-1: proposals not voted for because their app state hash is not ours.
        public var appRefusals = 0
        public var lastAppRefusal: AppAgreement.Mismatch?
        /// Views whose stake-drawn leader was passed over (LR-4, EP-5), since start.
        public var leaderSkippedViews = 0
    }

    /// The genesis committee, every switch since and the committee in force
    /// (`Epochs`, `ConsensusNode+Committee`).
    var epochs: Epochs
    /// The committee in force: the genesis's, or the newest epoch's.
    var committee: Committee { epochs.committee }
    let genesis: Block
    /// The block the current epoch started from (the genesis in epoch 0).
    var epochRoot: Block { epochs.root }
    /// How each epoch after the first began, oldest first (one per change).
    public var epochRecords: [EpochRecord] { epochs.records }
    /// Every kind of governance plan as of the committed head (upgrades,
    /// committee changes), each kind's schedule stored with the block that
    /// changed it (`ConsensusNode+Governance`).
    var governance: GovernanceBook
    /// The operators' committee plans and approvals as of the committed head.
    public var committeeChanges: CommitteeSchedule { governance.schedule(CommitteeSchedule.self) }
    /// Set by the commit of an epoch's last block: the loop switches once
    /// the old core's effect list is abandoned (EP-1).
    var pendingEpochSwitch: EpochRecord?
    /// When this node last answered a peer's older epoch notice with its own.
    var lastEpochReplyMs: UInt64 = 0
    /// The latest later epoch a peer's notice was logged for.
    var laterEpochLogged: Epoch = 0
    let store: any ConsensusStore
    /// The application in force at the committed height (`lifecycle.running`'s,
    /// or the genesis's when nil). A decided upgrade replaces it between two
    /// blocks (`ConsensusNode+Upgrade`).
    var app: any Application
    /// Which plan's application runs, the next one prepared, the plan whose
    /// plugin this node waits for (V-1 … V-3).
    var lifecycle = UpgradeLifecycle<any Application>()
    /// Set while this node cannot apply the block at a plan's first height
    /// for lack of its plugin: it applies nothing, answers block requests,
    /// and looks for the file every second.
    public var awaitingPlugin: UpgradePlan? { lifecycle.awaiting }
    /// Why the next plan's application is not ready, or nil.
    var upgradeProblem: String? { lifecycle.problem }
    var lastCommitMs: UInt64 = 0
    /// When this node last asked its peers where their blocks start (`probePeersWindow`).
    var lastWindowProbeMs: UInt64 = 0
    /// Why block sync cannot bring this node to its peers (they pruned its next block), or nil.
    public internal(set) var cannotCatchUp: String?
    /// Members that said they no longer keep this node's next block.
    var prunedPeers: Set<PublicKey> = []
    /// The node stopped so that `baton node` restores its peers' snapshot
    /// and starts it again (an empty store, `state_sync` absent).
    public internal(set) var needsStateSync = false
    let makeApplication: ((UpgradePlan) throws -> any Application)?
    /// `NodeParts.syncsWhenPeersPruned`.
    let syncsWhenPeersPruned: Bool
    let consensusConfig: ConsensusConfig
    let transport: any PeerTransport
    let clock: any NodeClock
    let syncServer: BlockSyncServer
    /// Serves this node's snapshots to syncing peers (a RocksDB store only).
    let snapshotServer: SnapshotServer?
    let logger: Logger
    let onCommit: @Sendable (Height, Bytes32) -> Void
    let pendingDeadlineMs: UInt64
    /// The plugin file's SHA-256, and whether the genesis pins it.
    /// The SHA-256 of the running plugin's `.so`, and whether something pins
    /// it (the genesis, or the upgrade plan now in force): replaced by an upgrade.
    public nonisolated var pluginSHA256: String? { pluginIdentity.withLock { $0.sha256 } }
    public nonisolated var pluginPinned: Bool { pluginIdentity.withLock { $0.pinned } }
    nonisolated let pluginIdentity: Mutex<(sha256: String?, pinned: Bool)>
    let signer: any MessageSigner
    /// What the core verifies with: this node's own recent signatures are
    /// recognised, not verified again (`OwnSignatures`).
    let coreVerifier: any SignatureVerifier
    /// The loop's only source of outside inputs.
    public nonisolated let inputs: InputQueue
    /// The core's timers, handed to `inputs` when due.
    let timers: NodeTimers
    var core: EventHandler
    /// Events the loop produced itself, handled in order before the next input.
    var followUps: [Event] = []
    /// Whether an effect list is being carried out (see `nestedHandleCalls`).
    var executingEffects = false
    var pendingValidations: [UInt64: BlockID] = [:]
    /// Blocks whose transaction list this node derived and found true (its
    /// own proposals, the proposals it validated), so commit need not derive
    /// it again. Pruned at commit; at most `verifiedListsMax`.
    var verifiedTransactionLists: Set<BlockID> = []
    static let verifiedListsMax = 1_024
    var pendingProductions: [UInt64: View] = [:]
    var requestCount: UInt64 = 0
    /// The chain's upgrade plans and decisions as of the committed head (`UpgradeSchedule`).
    public var upgrades: UpgradeSchedule { governance.schedule(UpgradeSchedule.self) }
    let hostVerifier = Secp256k1Verifier()
    /// The last view whose local timeout was logged: a timeout is re-broadcast
    /// while the view lasts, the log says so once per view.
    var lastLoggedTimeoutView: View = 0
    /// The mempool, the recently committed window and the rules between
    /// them (`Admission`, `ConsensusNode+Submissions`).
    var admission: Admission
    public var mempool: Mempool { admission.mempool }
    /// Transactions committed within the mempool's lifetime: not admitted again.
    public var recentlyCommitted: RecentlyCommitted { admission.recentlyCommitted }
    /// Misbehavior this node saw (double proposals, votes, timeouts), bounded.
    public internal(set) var evidence = EvidenceLog()
    /// Where committed transactions' time went here, stage by stage (bounded).
    public internal(set) var stageTimes = StageTimes()
    public nonisolated let chainID: Bytes32
    public internal(set) var status = Status()
    /// Finalized blocks and view changes, for `/v1/events`.
    public nonisolated let events = EventHub()
    public nonisolated let metrics: NodeMetrics
    /// Times every plugin call and reports one past its budget while it runs.
    public nonisolated let watchdog: PluginWatchdog
    /// Where check_tx, query and the typed functions run: off the loop.
    public nonisolated let sideLane: PluginSideLane
    /// `status` as of the end of the loop's last step, readable without the
    /// actor (which a stuck plugin call may hold): `/v1/status` falls back to it.
    nonisolated let publishedStatus = Mutex(Status())
    /// The thread the actor runs on (`NodeExecutor`): a hung plugin call on
    /// the loop never holds a thread of Swift's shared pool.
    nonisolated let executor = NodeExecutor(name: "baton-node-loop")
    public nonisolated var unownedExecutor: UnownedSerialExecutor { executor.asUnownedSerialExecutor() }
    /// Why the node stopped by itself (a storage, app or safety failure), or nil.
    public internal(set) var stopReason: String?
    /// The snapshot height this node was restored from since it started, and how its state was accepted.
    public internal(set) var restoredState: (height: Height, check: RestoredStateCheck)?
    /// The app's last `retain_height` (ABI 1.7; 0: no wish), as the pruner sees it.
    public internal(set) var appRetainHeight: Height = 0 {
        didSet { store.keepBlocks(from: appRetainHeight) }
    }
    private(set) var isShutDown = false
    /// `core.handle` calls that began while an effect list was being carried
    /// out. The loop's design keeps it at 0; a test holds it to that.
    @_spi(Testing) public internal(set) var nestedHandleCalls = 0
    /// Effect lists carried out (one per `core.handle` call).
    @_spi(Testing) public internal(set) var handledEvents = 0

    public init(parts: NodeParts) throws {
        let recovered = try parts.store.recoverState()
        genesis = parts.genesis
        chainID = parts.committee.chainID
        // EP-3: a node restarted after a committee change runs the newest epoch.
        let records: [EpochRecord]
        do {
            records = try parts.store.epochRecords().map { try EpochRecord.decode($0) }
        } catch { throw NodeFailure.corruptEpochRecord("\(error)") }
        epochs = Epochs(genesis: parts.genesis, committee: parts.committee, addresses: parts.memberAddresses,
                        listeners: parts.listeners, records: records)
        do {
            governance = try GovernanceBook { kind in try parts.store.schedule(named: kind.storageName) }
        } catch let unreadable as GovernanceBook.Unreadable {
            throw NodeFailure.corruptSchedule(unreadable)
        }
        store = parts.store
        let metrics = NodeMetrics()
        self.metrics = metrics
        watchdog = PluginWatchdog(plugin: parts.app.info.name, budgets: parts.pluginBudgets, logger: parts.logger,
                                  metrics: metrics)
        sideLane = PluginSideLane(limits: parts.sideLane, watchdog: watchdog, metrics: metrics, logger: parts.logger)
        app = sideLane.serve(parts.app)
        functionList = Mutex(parts.app.functions)
        // A restored snapshot not yet proven (`checkRestoredState`) serves no query.
        servesApp = Mutex((try? parts.store.restoredHeightToCheck()) == nil)
        makeApplication = parts.makeApplication
        syncsWhenPeersPruned = parts.syncsWhenPeersPruned
        consensusConfig = parts.consensus
        transport = parts.transport
        clock = parts.clock
        syncServer = BlockSyncServer(store: parts.store, limits: parts.blockSync)
        let transport = parts.transport
        snapshotServer = (parts.store as? NodeStore).map {
            SnapshotServer(store: $0, chainID: parts.committee.chainID, logger: parts.logger,
                           bytesPerSecond: parts.snapshotServeBytesPerSecond) { transport.send($0, to: $1) }
        }
        logger = parts.logger
        onCommit = parts.onCommit
        pendingDeadlineMs = parts.pendingDeadlineMs
        pluginIdentity = Mutex((parts.pluginSHA256, parts.pluginPinned))
        inputs = parts.inputs
        timers = NodeTimers(clock: parts.clock) { [inputs = parts.inputs] in inputs.fire($0) }
        admission = Admission(limits: parts.mempool)
        let own = OwnSignatures()
        signer = OwnSignatures.Signer(signer: Secp256k1Signer(parts.identity), own: own)
        coreVerifier = OwnSignatures.Verifier(verifier: Secp256k1Verifier(), own: own, key: parts.identity.publicKey)
        core = EventHandler(committee: epochs.committee, root: epochs.root, signer: signer,
                            verifier: coreVerifier, config: parts.consensus, recovery: recovered.recovery)
        status.finalizedHeight = recovered.committedHeight
        status.stateHash = recovered.committedStateHash
        publishedStatus.withLock { [status] in $0 = status }
        followUps.append(.stateExecuted(height: recovered.committedHeight, stateHash: recovered.committedStateHash))
    }

    deinit {
        sideLane.close()
        executor.finish()
    }

    public var plugin: PluginInfo { app.info }
    public var publicKey: PublicKey { signer.publicKey }
    /// This node's key, readable without the actor.
    public nonisolated var identity: PublicKey { signer.publicKey }
    public var committeeSize: Int { committee.count }
    public var memberIndex: ValidatorIndex? { committee.index(of: signer.publicKey) }
    /// The chain's leader election, as its genesis names it.
    public var leaderElectionName: String { consensusConfig.leaderElection.name }
    /// LR-3: each member's standing now (empty under the weighted-random election).
    public var leaderStandings: [LeaderStanding] { core.election.standings }
    /// The committee in force (the newest epoch's).
    public var currentCommittee: Committee { committee }

    /// The app's answer to `request` (read-only), from the side lane.
    /// Throws `ApplicationError` (the plugin's answer) or `SideCallError`.
    public nonisolated func query(_ request: [UInt8]) async throws -> [UInt8] {
        guard servesApp.withLock({ $0 }) else { throw SideCallError.busy(Self.unprovenState) }
        switch await sideLane.query(request) {
        case .done(let result): return try result.get()
        case .busy(let reason): throw SideCallError.busy(reason)
        case .overBudget(let overrun): throw SideCallError.overBudget(overrun)
        }
    }

    /// The typed functions the app in force exports (ABI 1.3), read without
    /// a hop onto the actor: a call costs one hop, not two. Replaced when an
    /// upgrade switches the application.
    public nonisolated var functions: [PluginFunction] { functionList.withLock { $0 } }
    nonisolated let functionList: Mutex<[PluginFunction]>
    /// False while a restored snapshot's state is unproven (issue 31): the
    /// side lane's queries and functions answer 503 instead of reading it.
    nonisolated let servesApp: Mutex<Bool>

    static let unprovenState = "this node's state was restored from a snapshot and is not yet checked against the certified hash: try again in a moment"

    /// Calls a typed function against committed state, on the side lane.
    /// Returns the result and the finalized height when the call began (the
    /// state it read is at least that height's). Throws `FunctionCallError`
    /// (the function's answer) or `SideCallError`.
    public nonisolated func call(_ function: String, arguments: [FunctionValue]) async throws
        -> (result: FunctionResult, height: Height)
    {
        guard servesApp.withLock({ $0 }) else { throw SideCallError.busy(Self.unprovenState) }
        let height = publishedStatus.withLock { $0.finalizedHeight }
        switch await sideLane.call(function, arguments: arguments) {
        case .done(let result): return (try result.get(), height)
        case .busy(let reason): throw SideCallError.busy(reason)
        case .overBudget(let overrun): throw SideCallError.overBudget(overrun)
        }
    }

    /// The status as the loop last left it, without waiting for the actor.
    public nonisolated var lastPublishedStatus: Status { publishedStatus.withLock { $0 } }

    /// The finalized block at `height` (genesis at 0), or nil.
    /// The oldest finalized height whose block this node still serves.
    public nonisolated var oldestRetainedHeight: Height { store.oldestRetainedHeight }
    /// `[storage] retain_blocks`; nil keeps every block.
    public nonisolated var retainedBlocks: Height? { store.retainedBlocks }

    public func finalizedBlock(at height: Height) throws -> Block? {
        if height == 0 { return genesis }
        return try store.finalizedBlocks(from: height, limit: 1).first.flatMap { $0.block.height == height ? $0.block : nil }
    }

    /// Runs until the task is cancelled, the node is shut down, or it stops itself.
    public func run() async throws {
        try await transport.start()
        if !epochRecords.isEmpty || !committeeChanges.open.isEmpty { await updateMembership() }
        // A node restarted past an upgrade's first height runs the plan's
        // application from the start (or waits for its plugin).
        adoptApplicationInForce()
        // Issue 31: a restored snapshot's state is proven before the node votes or serves.
        guard checkRestoredState() else { return }
        appRetainHeight = app.retainHeight()
        prepareUpgrade(now: clock.nowMs(), force: true)
        // While waiting for a plugin the core starts when it arrives (`restartCore`).
        if awaitingPlugin == nil { step(.start(nowMs: clock.nowMs())) }
        // Checked after each wait too: `shutdown` may run while the loop
        // waits, and an input handed over just before must not reach a closed store.
        while !isShutDown, stopReason == nil, let input = await inputs.next(), !isShutDown, stopReason == nil {
            handle(input)
        }
    }

    /// Stops the node: idempotent.
    public func shutdown() async {
        guard !isShutDown else { return }
        isShutDown = true
        sideLane.close()
        events.finishAll()
        timers.stop()
        inputs.finish()
        await transport.shutdown()
        // After the transport: nothing reaches the store any more. Requests
        // the API still serves get the store's "closed" error.
        store.close()
    }

    public func refreshPeers() async {
        announceEpoch()
        probePeersWindow(now: clock.nowMs())
        status.peers = transport.connectedPeers.count
        let stats = await transport.statistics()
        metrics.peers.set(Double(status.peers))
        metrics.droppedMessages.set(Double(stats.droppedMessages))
        metrics.refusedConnections.set(Double(stats.refusedConnections))
        metrics.badFrames.set(Double(stats.badFrames))
        metrics.duplicateKeyConnections.set(Double(stats.duplicateKeyConnections))
        status.duplicateKeyConnections = stats.duplicateKeyConnections
        metrics.droppedInputs.set(Double(inputs.droppedPeerMessages))
        metrics.mempoolSize.set(Double(mempool.count))
    }

    private func handle(_ input: InputQueue.Input) {
        let now = clock.nowMs()
        if awaitingPlugin != nil {
            // Applying nothing until the plan's plugin is here: serve block
            // requests (the others may need them), drop the rest; the core
            // restarts from the store when the plugin appears.
            if case .message(let from, .blockRequest(let request)) = input,
               let response = syncServer.answer(request, epochs: epochRecords) {
                transport.send(.blockResponse(response), to: from)
            }
            if case .message(let from, .stateSync(let request)) = input { snapshotServer?.received(request, from: from) }
            return
        }
        switch input {
        case .message(let from, let message):
            switch message {
            case .proposal(let p):
                logger.debug("proposal received", metadata: ["view": "\(p.block.view)", "qc": "\(p.block.qc.view)",
                                                             "tc": "\(p.block.lastViewTC?.view.description ?? "-")", "proposer": "\(p.block.proposer)"])
                step(.proposal(p, nowMs: now))
            case .vote(let v):
                logger.debug("vote received", metadata: ["view": "\(v.view)", "from": "\(v.signer)"])
                step(.vote(v, nowMs: now))
            case .timeout(let t): step(.timeout(t, nowMs: now))
            case .blockRequest(let request):
                if let response = syncServer.answer(request, epochs: epochRecords) {
                    transport.send(.blockResponse(response), to: from)
                }
            case .blockResponse(let response):
                if !response.blocks.isEmpty { step(.blocksFetched(response.blocks, nowMs: now)) }
                // The QC of the batch's last block: it may finalize what the
                // batch brought (for an epoch's last blocks, EP-4, nothing else can).
                if let qc = response.lastBlockQC { step(.certificateFetched(qc, nowMs: now)) }
            case .epoch(let notice): received(notice, from: from, now: now)
            case .transactions(let batch):
                // Gossip from a peer: judged on the side lane; not forwarded again.
                admitGossip(batch.transactions.prefix(mempool.limits.batchTransactionsMax), from: from)
            case .statusRequest(let request):
                // SR-R: the sender the transport authenticated, as a member index.
                if let member = committee.index(of: from) { step(.statusRequest(request, from: member, nowMs: now)) }
            case .status(let report):
                if let member = committee.index(of: from) { step(.statusReport(report, from: member, nowMs: now)) }
            case .stateSync(let request):
                if case .offer(_, let oldestBlock, _, _) = request { notePeerWindow(oldestBlock: oldestBlock, from: from) }
                snapshotServer?.received(request, from: from)
            }
        case .timer(let timer): step(.timerFired(timer, nowMs: now))
        case .completion(let completion): complete(completion, now: now)
        case .mempoolFilled: step(.mempoolChanged(nonEmpty: mempool.count > 0, nowMs: now))
        case .pendingDeadline(let token): pendingDeadlinePassed(token, now: now)
        }
    }

    /// The only caller of `core.handle`: `event`, then every follow-up its
    /// effects queued, each one's effects carried out to the end first.
    func step(_ event: Event) {
        followUps.append(event)
        var next = 0
        while next < followUps.count, stopReason == nil, pendingEpochSwitch == nil {
            if executingEffects { nestedHandleCalls += 1 }
            let effects = core.handle(followUps[next])
            next += 1
            handledEvents += 1
            executingEffects = true
            execute(effects)
            executingEffects = false
        }
        followUps.removeAll(keepingCapacity: true)
        publishedStatus.withLock { [status] in $0 = status }
        // EP-1: the old core and what it still had to do are void.
        if let record = pendingEpochSwitch {
            pendingEpochSwitch = nil
            switchEpoch(to: record)
        }
    }

    /// Test-only: carries out `effects` as if the core had asked for them.
    @_spi(Testing) public func executeForTesting(_ effects: [Effect]) { execute(effects) }

    /// Stops the node for good: the loop ends after this input, and the
    /// service that runs the node fails with `reason` (exit status 1).
    /// `level`: critical unless the stop is routine (a state sync due).
    func stop(_ reason: String, level: Logger.Level = .critical) {
        logger.log(level: level, "stopping: \(reason)")
        if stopReason == nil { stopReason = reason }
        timers.stop()
        inputs.finish()
    }
}
