import BatonCrypto

/// The single-threaded orchestrator of one consensus core:
/// `handle(event) -> [Effect]`, with no I/O, clock or thread of its own.
///
/// The shell (or the simulator) is its only caller, one event at a time, and
/// executes the returned effects in order — persisting safety data before
/// anything that follows it (see `Effect`). Everything in here is a value, so
/// a core can be copied, replayed and run by the thousand in one process.
public struct EventHandler: Sendable {
    /// Where a restarted core resumes.
    public struct Recovery: Sendable {
        public var safety: SafetyData
        public var liveness: LivenessData?
        /// The last finalized block (genesis on a fresh chain).
        public var finalized: Block
        /// Unfinalized blocks above it, any order.
        public var unfinalized: [Block]
        /// The app's state hash at recently executed heights (AA: compared
        /// with proposals' claims); the newest `appHashesRetained` count.
        public var executedStates: [Height: Bytes32]
        /// The node starts without its safety data (a new data directory, or
        /// one that lost it): SR-R applies (see `SafetyRecovery`).
        public var safetyLost: Bool
        /// LR-1: the leader records of the newest finalized blocks of this
        /// epoch, oldest first (others are ignored); what the store kept.
        public var leaderRecords: [LeaderRecord]

        public init(safety: SafetyData = SafetyData(), liveness: LivenessData? = nil, finalized: Block,
                    unfinalized: [Block] = [], executedStates: [Height: Bytes32] = [:], safetyLost: Bool = false,
                    leaderRecords: [LeaderRecord] = []) {
            self.leaderRecords = leaderRecords
            self.executedStates = executedStates
            self.safetyLost = safetyLost
            self.safety = safety
            self.liveness = liveness
            self.finalized = finalized
            self.unfinalized = unfinalized
        }
    }

    typealias PendingBlock = Compliance.PendingBlock

    public let committee: Committee
    public let config: ConsensusConfig
    /// This node's index; nil for a follower, which tracks finality without voting.
    public let me: ValidatorIndex?
    var validator: Validator
    public internal(set) var safety: SafetyRules
    public internal(set) var forks: Forks
    public internal(set) var pacemaker: Pacemaker
    /// Who leads each view: the only source of leaders in the core (see `ProposerElection`).
    public internal(set) var election: any ProposerElection

    var votes: [View: VoteCollector] = [:]
    var timeouts: [View: TimeoutCollector] = [:]
    /// Blocks waiting for an ancestor, and blocks waiting for the app's verdict.
    public internal(set) var compliance: Compliance
    /// Which missing blocks are asked of whom, and the catch-up in flight.
    public internal(set) var blockSync: BlockSync
    var proposals: [View: Proposal] = [:]
    var proposalRequested: View?
    var mempoolNonEmpty = false
    var lastBlockSeenMs: UInt64 = 0
    /// The app's state hashes, and the AA rules over them (see `AppAgreement`).
    public internal(set) var appAgreement: AppAgreement
    /// SR-R: non-nil while lost safety data is being recovered.
    public internal(set) var safetyRecovery: SafetyRecovery?
    /// SR-R: when each member was last answered a status request.
    var statusAnswered: [ValidatorIndex: UInt64] = [:]
    var nowMs: UInt64 = 0
    var effects: [Effect] = []
    /// Finalizations found while replaying the recovered tree, emitted by `.start`.
    var replayEffects: [Effect] = []

    /// Epoch 0's core: the chain starts at `genesis`.
    public init(committee: Committee, genesis: Block, signer: any MessageSigner, verifier: any SignatureVerifier,
                config: ConsensusConfig = ConsensusConfig(), recovery: Recovery? = nil) {
        self.init(committee: committee, root: genesis, signer: signer, verifier: verifier, config: config, recovery: recovery)
    }

    /// The core of `committee`'s epoch, which starts from `root`: the genesis
    /// block in epoch 0, after that the last block of the previous epoch,
    /// final there (EP-3). Views continue from the root's: the first view of
    /// the epoch is `root.view + 1`, its first block's QC the root QC.
    public init(committee: Committee, root genesis: Block, signer: any MessageSigner, verifier: any SignatureVerifier,
                config: ConsensusConfig = ConsensusConfig(), recovery: Recovery? = nil) {
        precondition(config.pacemaker.problem() == nil, config.pacemaker.problem() ?? "")
        let recovery = recovery ?? Recovery(finalized: genesis)
        self.committee = committee
        self.config = config
        let index = committee.index(of: signer.publicKey).flatMap { committee.isVoter($0) ? $0 : nil }
        me = index
        validator = Validator(committee: committee, root: .root(of: genesis), verifier: verifier)
        compliance = Compliance(pendingMax: config.pendingProposalsMax)
        blockSync = BlockSync(committeeSize: committee.count, me: index, config: config)
        var appAgreement = AppAgreement(retainedHeights: config.appHashesRetained)
        for (height, hash) in recovery.executedStates.sorted(by: { $0.key < $1.key }) {
            _ = appAgreement.executed(height: height, hash: hash)
        }
        self.appAgreement = appAgreement
        // EP-2: safety data of another epoch bounds nothing here (and a
        // switch leaves the old epoch's behind until the first signature).
        let safetyData = recovery.safety.epoch == committee.epoch ? recovery.safety : SafetyData(epoch: committee.epoch)
        safety = SafetyRules(data: safetyData, signer: signer, index: index, chainID: committee.signingDomain)
        if recovery.safetyLost, let index, SafetyRecovery.possible(in: committee, me: index) {
            safety.muted = true
            safetyRecovery = SafetyRecovery(nonce: 0)
        }
        // LR-1: the election resumes from the records of this epoch's finalized blocks.
        election = config.leaderElection.election(for: committee)
        for record in recovery.leaderRecords
        where record.height > genesis.height && record.height <= recovery.finalized.height {
            election.learn(record)
        }
        forks = Forks(root: recovery.finalized)
        let liveness = recovery.liveness
            ?? LivenessData(currentView: genesis.view + 1, highestQC: .root(of: genesis), lastViewTC: nil)
        pacemaker = Pacemaker(config: config.pacemaker, currentView: liveness.currentView,
                              highestQC: liveness.highestQC, lastViewTC: liveness.lastViewTC)
        // Replay the stored tree parents-first; what does not connect is dropped.
        // Replaying can finalize blocks the app has not committed yet: those
        // finalizations are kept and emitted by `.start`, never lost.
        for block in recovery.unfinalized.sorted(by: { ($0.view, $0.id) < ($1.view, $1.id) }) {
            for step in (try? forks.add(block)) ?? [] {
                switch step {
                case .finalized(let finalization): replayEffects.append(.finalized(recordingLeaders(of: finalization)))
                case .safetyFault(let fault): replayEffects.append(.safetyFault(fault.description))
                }
            }
        }
    }

    public var currentView: View { pacemaker.currentView }
    public var isFollower: Bool { me == nil }
    public func leader(of view: View) -> ValidatorIndex {
        let elected = election.leader(of: view)
        guard localReputationForTesting, locallySuspected.contains(elected) else { return elected }
        return ValidatorIndex((Int(elected) + 1) % committee.count)
    }

    /// Handles one event; returns the effects to execute, in order.
    public mutating func handle(_ event: Event) -> [Effect] {
        effects.removeAll(keepingCapacity: true)
        switch event {
        case .start(let now):
            nowMs = now
            // Begin with what the recovery replay finalized, so the app commits it.
            effects = replayEffects
            replayEffects = []
            startRecovery()
            enterView(pacemaker.currentView, cause: .qc)
        case .proposal(let proposal, let now):
            nowMs = now
            onProposal(proposal)
        case .vote(let vote, let now):
            nowMs = now
            onVote(vote, trusted: false)
        case .timeout(let timeout, let now):
            nowMs = now
            onTimeout(timeout, trusted: false)
        case .timerFired(let timer, let now):
            nowMs = now
            onTimer(timer)
        case .payloadProduced(let view, let payload, let now, let included, let hostPayload):
            nowMs = now
            onPayloadProduced(view: view, payload: payload, included: included, hostPayload: hostPayload)
        case .payloadValidated(let id, let valid, let now):
            nowMs = now
            onPayloadValidated(id, valid: valid)
        case .blocksFetched(let blocks, let now):
            nowMs = now
            onBlocksFetched(blocks)
        case .certificateFetched(let qc, let now):
            nowMs = now
            onCertificateFetched(qc)
        case .behind(let hint, let now):
            nowMs = now
            requestCatchUp(hint: hint)
        case .mempoolChanged(let nonEmpty, let now):
            nowMs = now
            mempoolNonEmpty = nonEmpty
            if nonEmpty { startProposalIfLeader() }
        case .stateExecuted(let height, let hash):
            onStateExecuted(height: height, hash: hash)
        case .statusRequest(let request, let from, let now):
            nowMs = now
            onStatusRequest(request, from: from)
        case .statusReport(let report, let from, let now):
            nowMs = now
            onStatusReport(report, from: from)
        }
        return effects
    }

    mutating func emit(_ effect: Effect) { effects.append(effect) }

    /// Test-only: see `SafetyRules.breakVotingRuleForTesting`.
    @_spi(Testing) public mutating func breakVotingRuleForTesting() { safety.breakVotingRuleForTesting = true }

    /// Test-only: vote without checking the block's executed state (AA-1
    /// broken), so the simulator's checker can be shown to catch it.
    @_spi(Testing) public var ignoreAppAgreementForTesting = false

    /// Test-only: certificates and messages valid under `previous` (the
    /// committee before the switch) are accepted too — the bug EP-2 and EP-3
    /// rule out, which the simulator's checker must catch.
    @_spi(Testing) public mutating func acceptPreviousCommitteeForTesting(_ previous: Committee) {
        validator.acceptPreviousCommitteeForTesting = previous
    }

    /// Test-only: leaders skip the members whose views this node saw time out
    /// — reputation from local observations, which LR-2 rules out: nodes that
    /// saw different timeouts elect different leaders. The simulator's
    /// leader-agreement check must catch it.
    @_spi(Testing) public var localReputationForTesting = false
    var locallySuspected: Set<ValidatorIndex> = []

    /// Test-only: see `SafetyRules.allowDoubleVotesForTesting`.
    @_spi(Testing) public mutating func allowDoubleVotesForTesting() { safety.allowDoubleVotesForTesting = true }

    /// Sizes of every cache and collector, for the simulator's memory invariant.
    public struct Diagnostics: Hashable, Sendable {
        public let voteCollectors: Int
        public let timeoutCollectors: Int
        public let pendingBlocks: Int
        public let outstandingFetches: Int
        public let awaitingValidation: Int
        public let forkBlocks: Int
        public let proposalsTracked: Int
        public let currentView: View
        public let finalizedView: View
    }

    public var diagnostics: Diagnostics {
        Diagnostics(voteCollectors: votes.count, timeoutCollectors: timeouts.count, pendingBlocks: compliance.pendingCount,
                    outstandingFetches: blockSync.outstandingCount,
                    awaitingValidation: compliance.awaitingValidation.count,
                    forkBlocks: forks.count, proposalsTracked: proposals.count, currentView: currentView,
                    finalizedView: forks.finalized.view)
    }
}
