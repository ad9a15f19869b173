import BatonCrypto
import Consensus
import Foundation
import Logging
import BatonNetwork
import PluginHost
import Storage

/// One Baton node: the shell around a consensus core.
///
/// A single serial loop (this actor's `run`) drives the core; every input —
/// a peer's message, a timer, a plugin's late answer — is queued as an
/// `Input` and handled one at a time. Effects run in the order the core gives
/// them: safety data is written synchronously before the vote or timeout that
/// follows it leaves (`NodeStore.saveSafetyData` returns only after fsync).
public actor ConsensusNode {
    enum Input: Sendable {
        case message(from: PublicKey, Message)
        case timer(Consensus.Timer)
        case completion(PendingCompletion)
    }

    public struct Status: Sendable, Hashable {
        public var view: View = 0
        public var finalizedHeight: Height = 0
        public var finalizedID: BlockID = .zero
        public var stateHash: Bytes32 = .zero
        public var peers = 0
    }

    let identity: PrivateKey
    let committee: Committee
    let genesis: Block
    let store: NodeStore
    let app: PluginApplication
    let transport: Transport
    let addresses: [Transport.Peer]
    let listen: (host: String, port: Int)
    let logger: Logger
    var core: EventHandler
    private let inputs: AsyncStream<Input>
    private let feed: AsyncStream<Input>.Continuation
    private var pendingValidations: [UInt64: BlockID] = [:]
    public private(set) var mempool: Mempool
    /// Finalized blocks and view changes, for `/v1/events`.
    public nonisolated let events = EventHub()
    public nonisolated let metrics = NodeMetrics()
    private var pendingProductions: [UInt64: View] = [:]
    private var requestCount: UInt64 = 0
    public private(set) var status = Status()
    /// Called after every block the app committed (height, state hash).
    let onCommit: @Sendable (Height, Bytes32) -> Void
    /// Demo only: as leader, send two different proposals to the two halves
    /// of the committee (a Byzantine leader the federation must survive).
    public var equivocate = false

    public func setEquivocate(_ on: Bool) { equivocate = on }

    /// The app's answer to `request` (read-only).
    public func query(_ request: [UInt8]) throws -> [UInt8] { try app.query(request) }

    public var plugin: PluginInfo { app.info }
    public var publicKey: PublicKey { identity.publicKey }
    public var memberIndex: ValidatorIndex? { committee.index(of: identity.publicKey) }

    /// The finalized block at `height` (genesis at 0), or nil.
    public func finalizedBlock(at height: Height) throws -> Block? {
        if height == 0 { return genesis }
        return try store.finalizedBlocks(from: height, limit: 1).first.flatMap { $0.block.height == height ? $0.block : nil }
    }

    public struct StartupError: Error, CustomStringConvertible, Sendable { public let description: String }

    /// Loads everything a node needs from its config; every failure says what to fix.
    public init(config: NodeConfig, logger: Logger = Logger(label: "baton.node"),
                onCommit: @escaping @Sendable (Height, Bytes32) -> Void = { _, _ in }) throws {
        let genesisFile = try Genesis.load(config.resolve(config.genesis_file))
        let (committee, genesis, addresses) = try genesisFile.resolve()
        let key = try KeyFile.load(config.resolve(config.key_file))
        guard let (host, port) = Genesis.split(config.listen) else {
            throw StartupError(description: "config: listen = \"\(config.listen)\" is not host:port")
        }
        let dataDir = config.resolve(config.data_dir)
        try FileManager.default.createDirectory(atPath: dataDir, withIntermediateDirectories: true)
        let hasStore = FileManager.default.fileExists(atPath: dataDir + "/db/CURRENT")
        store = try NodeStore(directory: dataDir, genesis: genesis, create: !hasStore)
        if config.storage?.sync_writes == false {
            store.syncSafetyWrites = false
            logger.warning("storage: sync_writes = false — safety data is not fsynced; for benchmarks only")
        }
        let locator = PluginLocator.standard(pluginDirectory: config.plugin_dir.map(config.resolve))
        let library = try locator.load(config.plugin.map { $0.contains("/") ? config.resolve($0) : $0 } ?? genesisFile.plugin)
        let (inputs, feed) = AsyncStream.makeStream(of: Input.self, bufferingPolicy: .unbounded)
        self.inputs = inputs
        self.feed = feed
        let pluginConfig = genesisFile.pluginConfig + (config.plugin_config.map { "\n" + $0 } ?? "")
        app = try PluginApplication(library: library, config: Array(pluginConfig.utf8),
                                    store: RocksAppStateStore(store, plugin: Genesis.applicationName(genesisFile.plugin)),
                                    logger: logger,
                                    onCompletion: { feed.yield(.completion($0)) })
        var consensus = ConsensusConfig()
        if let c = config.consensus {
            if let v = c.timeout_ms_base { consensus.pacemaker.timeoutMsBase = v }
            if let v = c.timeout_ms_max { consensus.pacemaker.timeoutMsMax = v }
            if let v = c.idle_block_interval_ms { consensus.pacemaker.idleBlockIntervalMs = v }
            if let v = c.backoff_permille { consensus.pacemaker.backoffPermille = v }
            if let v = c.tolerated_failures { consensus.pacemaker.toleratedFailures = v }
        }
        if let problem = consensus.pacemaker.problem() { throw StartupError(description: "config [consensus]: \(problem)") }
        var limits = Mempool.Limits()
        if let m = config.mempool {
            if let v = m.transactions_max { limits.transactionsMax = v }
            if let v = m.bytes_max { limits.bytesMax = v }
            if let v = m.batch_transactions_max { limits.batchTransactionsMax = v }
            if let v = m.batch_bytes_max { limits.batchBytesMax = v }
        }
        guard limits.batchTransactionsMax >= 1, limits.transactionsMax >= limits.batchTransactionsMax else {
            throw StartupError(description: "config [mempool]: need 1 <= batch_transactions_max <= transactions_max")
        }
        mempool = Mempool(limits: limits)
        let recovered = try store.recover()
        core = EventHandler(committee: committee, genesis: genesis, signer: Secp256k1Signer(key),
                            verifier: Secp256k1Verifier(), config: consensus, recovery: recovered.recovery)
        status.finalizedHeight = recovered.head.height
        status.stateHash = recovered.head.stateHash
        core.handleStateExecuted(height: recovered.head.height, hash: recovered.head.stateHash)
        identity = key
        self.committee = committee
        self.genesis = genesis
        self.addresses = addresses.map { Transport.Peer(key: $0.0, host: $0.1, port: $0.2) }
        listen = (host, port)
        self.logger = logger
        self.onCommit = onCommit
        transport = Transport(chainID: committee.chainID, signer: Secp256k1Signer(key), verifier: Secp256k1Verifier(),
                              members: committee.members.map(\.publicKey), listeners: genesisFile.listenerKeys,
                              dialsEveryone: committee.index(of: key.publicKey) == nil, logger: logger,
                              deliver: { feed.yield(.message(from: $0, $1)) })
    }

    /// Runs until the task is cancelled.
    public func run() async throws {
        try await transport.listen(host: listen.host, port: listen.port)
        await transport.connect(to: addresses)
        execute(core.handle(.start(nowMs: Self.nowMs())))
        for await input in inputs {
            if Task.isCancelled || isShutDown { break }
            handle(input)
        }
    }

    /// Why the node stopped by itself (a storage or app failure), or nil.
    public private(set) var stopReason: String?
    private var isShutDown = false

    /// Stops the node: idempotent.
    public func shutdown() async {
        guard !isShutDown else { return }
        isShutDown = true
        events.finishAll()
        feed.finish()
        await transport.shutdown()
        // After the transport: nothing reaches the store any more. Requests
        // the API still serves get the store's "closed" error.
        store.close()
    }

    public func refreshPeers() async {
        status.peers = transport.connectedPeers.count
        let stats = await transport.stats
        metrics.peers.set(Double(status.peers))
        metrics.droppedMessages.set(Double(stats.droppedMessages))
        metrics.refusedConnections.set(Double(stats.refusedConnections))
        metrics.badFrames.set(Double(stats.badFrames))
        metrics.mempoolSize.set(Double(mempool.count))
    }

    static func nowMs() -> UInt64 { UInt64(Date().timeIntervalSince1970 * 1_000) }

    private func handle(_ input: Input) {
        let now = Self.nowMs()
        switch input {
        case .message(let from, let message):
            switch message {
            case .proposal(let p): execute(core.handle(.proposal(p, nowMs: now)))
            case .vote(let v): execute(core.handle(.vote(v, nowMs: now)))
            case .timeout(let t): execute(core.handle(.timeout(t, nowMs: now)))
            case .blockRequest(let request): answer(request, to: from)
            case .blockResponse(let response): execute(core.handle(.blocksFetched(response.blocks, nowMs: now)))
            case .transactions(let batch):
                // Gossip from a peer: admit through the app; do not forward again.
                for tx in batch.transactions.prefix(mempool.limits.batchTransactionsMax) { _ = admit(tx, now: now) }
            }
        case .timer(let timer):
            execute(core.handle(.timerFired(timer, nowMs: now)))
        case .completion(let completion):
            complete(completion, now: now)
        }
    }

    // MARK: - Effects

    private func execute(_ effects: [Effect]) {
        for effect in effects {
            do { try execute(effect) } catch {
                // Storage or app failures leave the node unable to follow the chain safely.
                logger.critical("stopping: \(error)")
                if stopReason == nil { stopReason = "\(error)" }
                feed.finish()
                return
            }
        }
    }

    private func execute(_ effect: Effect) throws {
        switch effect {
        case .persistSafetyData(let data):
            try store.saveSafetyData(data)  // synchronous: before anything that follows
        case .persistLiveness(let data):
            try store.saveLiveness(data)
        case .persistBlock(let block):
            try store.saveBlock(block)
        case .broadcast(.proposal(let proposal)) where equivocate:
            sendEquivocating(proposal)
        case .broadcast(let message):
            if case .timeout = message { metrics.timeoutsSent.increment() }
            transport.broadcast(message)
        case .send(let message, let index):
            guard let key = committee.publicKey(of: index) else { return }
            transport.send(message, to: key)
        case .scheduleTimer(let timer, let atMs):
            let delay = atMs > Self.nowMs() ? atMs - Self.nowMs() : 0
            let feed = self.feed
            Task {
                try? await Task.sleep(for: .milliseconds(delay))
                feed.yield(.timer(timer))
            }
        case .produceBlock(let context):
            produce(context)
        case .validateBlock(let block, let ancestors):
            validate(block, ancestors: ancestors)
        case .finalized(let finalization):
            try commit(finalization)
        case .fetchBlock(let id, let index):
            // The core asks at most once per block per retry interval.
            requestBlocks(.byID(id, ancestors: core.config.fetchAncestors), from: index, orAnotherPeer: false)
        case .fetchFinalized(let from, let count, let index):
            requestBlocks(.finalized(fromHeight: from, count: count), from: index, orAnotherPeer: false)
        case .evidence(let proof):
            logger.warning("misbehavior evidence", metadata: ["offender": "\(proof.offender)", "evidence": "\(proof)"])
        case .safetyFault(let fault):
            logger.critical("SAFETY FAULT: \(fault)")
        case .halt(let reason):
            throw StartupError(description: "\(reason)")
        case .enteredView(let view, let cause):
            status.view = view
            metrics.view.set(Double(view))
            if cause == .tc { metrics.viewsByTC.increment() } else { metrics.viewsByQC.increment() }
            events.yield(.viewChanged(view: view, byTimeout: cause == .tc))
        case .dropped(let reason):
            logger.debug("dropped input", metadata: ["reason": "\(reason)"])
        }
    }

    /// Block sync, asking side. A missing ancestor is asked of one other peer
    /// as well, in case the proposer is gone; a catch-up batch (up to 128
    /// blocks) of one peer only — the core asks again if it goes unanswered.
    private func requestBlocks(_ target: BlockRequest.Target, from index: ValidatorIndex, orAnotherPeer: Bool) {
        requestCount += 1
        let request = Message.blockRequest(BlockRequest(requestID: requestCount, target: target))
        let peer = committee.publicKey(of: index)
        if let peer { transport.send(request, to: peer) }
        if orAnotherPeer || peer == nil, let other = transport.connectedPeers.first(where: { $0 != peer }) {
            transport.send(request, to: other)
        }
    }

    /// The honest proposal to one half, a twin with another payload to the other.
    private func sendEquivocating(_ proposal: Proposal) {
        let b = proposal.block
        let twin = Block(view: b.view, height: b.height, parentID: b.parentID, qc: b.qc, lastViewTC: b.lastViewTC,
                         proposer: b.proposer, timestampMs: b.timestampMs, executedHeight: b.executedHeight,
                         executedStateHash: b.executedStateHash, payload: b.payload + [0xEE])
        let digest = SigningDomain.voteDigest(chainID: committee.chainID, view: twin.view, blockID: twin.id)
        let signedTwin = Proposal(block: twin, signature: Secp256k1Signer(identity).sign(digest))
        for (index, member) in committee.members.enumerated() where member.publicKey != identity.publicKey {
            transport.send(.proposal(index % 2 == 0 ? proposal : signedTwin), to: member.publicKey)
        }
    }

    public enum Submission: Sendable, Hashable {
        case accepted(Bytes32)
        case duplicate(Bytes32)
        case rejected(String)
        case full
    }

    /// A transaction from a client: admitted through the app's `check_tx`,
    /// then forwarded to every peer so the next leaders have it.
    public func submit(_ transaction: [UInt8]) -> Submission {
        let result = admit(transaction, now: Self.nowMs())
        if case .accepted = result { transport.broadcast(.transactions(TransactionBatch([transaction]))) }
        return result
    }

    /// Counts of a batch submission's outcomes.
    public struct BatchSubmission: Sendable {
        public var accepted = 0, duplicates = 0, rejected = 0, full = 0
        public var firstRejection: String?
    }

    /// Admits many transactions in one actor call and gossips the accepted
    /// ones as one batch (`POST /v1/txs`: load generators, bridges).
    public func submit(batch transactions: [[UInt8]]) -> BatchSubmission {
        var result = BatchSubmission()
        var accepted: [[UInt8]] = []
        let now = Self.nowMs()
        for transaction in transactions {
            switch admit(transaction, now: now) {
            case .accepted:
                result.accepted += 1
                accepted.append(transaction)
            case .duplicate: result.duplicates += 1
            case .rejected(let reason):
                result.rejected += 1
                if result.firstRejection == nil { result.firstRejection = reason }
            case .full: result.full += 1
            }
        }
        // Peers admit at most one proposal's worth from a gossip message: send
        // chunks of that size so none is dropped.
        let chunk = max(1, mempool.limits.batchTransactionsMax)
        for start in stride(from: 0, to: accepted.count, by: chunk) {
            let part = Array(accepted[start..<min(start + chunk, accepted.count)])
            transport.broadcast(.transactions(TransactionBatch(part)))
        }
        return result
    }

    private func admit(_ transaction: [UInt8], now: UInt64) -> Submission {
        guard transaction.count <= WireLimits.standard.transactionBytesMax else {
            return .rejected("transaction of \(transaction.count) bytes exceeds \(WireLimits.standard.transactionBytesMax)")
        }
        let hash = SHA256Digest.hash(transaction)
        if mempool.contains(hash) { return .duplicate(hash) }
        do {
            if case .reject(let reason) = try app.checkTransaction(transaction) { return .rejected(reason) }
        } catch {
            return .rejected("check_tx failed: \(error)")
        }
        let wasEmpty = mempool.count == 0
        switch mempool.add(transaction, hash: hash, nowMs: now) {
        case .added(let hash):
            if wasEmpty { execute(core.handle(.mempoolChanged(nonEmpty: true, nowMs: now))) }
            return .accepted(hash)
        case .duplicate(let hash): return .duplicate(hash)
        case .full: return .full
        }
    }

    private func context(for block: Block, ancestors: [Block], finalityProof: [UInt8] = []) -> BlockContext {
        BlockContext(height: block.height, view: block.view, timestampMs: block.timestampMs, blockID: block.id.bytes,
                     parentID: block.parentID.bytes,
                     proposer: committee.publicKey(of: block.proposer)?.compressed ?? [],
                     pendingPayloads: ancestors.map(\.payload), finalityProof: finalityProof)
    }

    private func produce(_ proposal: ProposalContext) {
        let context = BlockContext(height: proposal.height, view: proposal.view, timestampMs: Self.nowMs(),
                                   parentID: proposal.parentID.bytes, proposer: identity.publicKey.compressed,
                                   pendingPayloads: proposal.pendingAncestors.map(\.payload))
        let inFlight = Set(proposal.pendingAncestors.flatMap(\.includedTransactions))
        let candidates = mempool.batch(nowMs: Self.nowMs(), excluding: inFlight)
        do {
            switch try app.produceBlock(context, candidates: candidates.map(\.transaction)) {
            case .ready(let payload, let included):
                let hashes = included.filter { $0 < candidates.count }.map { candidates[$0].hash }
                execute(core.handle(.payloadProduced(view: proposal.view, payload: payload, nowMs: Self.nowMs(),
                                                     included: hashes)))
            case .pending(let token):
                pendingProductions[token.value] = proposal.view
            }
        } catch {
            logger.error("produce_block failed; not proposing in this view", metadata: ["error": "\(error)"])
        }
    }

    private func validate(_ block: Block, ancestors: [Block]) {
        let answer: ValidateAnswer
        do { answer = try app.validateBlock(context(for: block, ancestors: ancestors), payload: block.payload) } catch {
            logger.error("validate_block failed; not voting", metadata: ["block": "\(block)", "error": "\(error)"])
            return
        }
        switch answer {
        case .valid: execute(core.handle(.payloadValidated(blockID: block.id, valid: true, nowMs: Self.nowMs())))
        case .invalid(let reason):
            logger.info("app rejected a proposal", metadata: ["block": "\(block)", "reason": "\(reason)"])
            execute(core.handle(.payloadValidated(blockID: block.id, valid: false, nowMs: Self.nowMs())))
        case .pending(let token): pendingValidations[token.value] = block.id
        }
    }

    private func complete(_ completion: PendingCompletion, now: UInt64) {
        switch completion.call {
        case .validateBlock:
            guard let id = pendingValidations.removeValue(forKey: completion.token.value) else { return }
            let valid = completion.outcome == .valid
            switch completion.outcome {
            case .invalid(let reason):
                logger.info("app rejected a proposal", metadata: ["block": "\(id.short)", "reason": "\(reason)", "answer": "late"])
            case .failed(let error):
                logger.error("validate_block failed; not voting", metadata: ["block": "\(id.short)", "error": "\(error)"])
            default: break
            }
            execute(core.handle(.payloadValidated(blockID: id, valid: valid, nowMs: now)))
        case .produceBlock:
            guard let view = pendingProductions.removeValue(forKey: completion.token.value),
                  case .produced(let payload) = completion.outcome else { return }
            execute(core.handle(.payloadProduced(view: view, payload: payload, nowMs: now)))
        }
    }

    /// Commits finalized blocks to the app and the store, one atomic batch per block.
    private func commit(_ finalization: Forks.Finalization) throws {
        let blocks = finalization.blocks
        // The app gets each block's proof of finality (ABI 1.1): the headers up
        // to the certified child and the child's QC.
        let headers = blocks.map(\.header) + [finalization.child.header]
        for (index, block) in blocks.enumerated() where block.height > status.finalizedHeight {
            let qc = index + 1 < blocks.count ? blocks[index + 1].qc : finalization.child.qc
            let proof = FinalityProof(chainID: committee.chainID, headers: Array(headers[index...]), qc: finalization.childQC)
            let hash: StateHash
            do {
                hash = try app.commitBlock(context(for: block, ancestors: [], finalityProof: proof.encoded), payload: block.payload)
            } catch {
                store.discardStaged()
                throw StartupError(description: "the app cannot commit finalized \(block): \(error)")
            }
            let stateHash = Bytes32(hash.bytes)!
            try store.commit(block, certifiedBy: qc, stateHash: stateHash)
            mempool.remove(block.includedTransactions)
            metrics.finalizedHeight.set(Double(block.height))
            metrics.committedTransactions.increment(by: Int64(block.includedTransactions.count))
            let now = Self.nowMs()
            metrics.commitLatency.record(Double(now > block.timestampMs ? now - block.timestampMs : 0))
            status.finalizedHeight = block.height
            status.finalizedID = block.id
            status.stateHash = stateHash
            core.handleStateExecuted(height: block.height, hash: stateHash)
            onCommit(block.height, stateHash)
            events.yield(.finalized(height: block.height, id: block.id, view: block.view, stateHash: stateHash,
                                    proposer: block.proposer, transactions: block.includedTransactions))
        }
        if mempool.count == 0 { execute(core.handle(.mempoolChanged(nonEmpty: false, nowMs: Self.nowMs()))) }
    }

    /// Block sync, serving side: blocks by id (with ancestors) or by finalized height.
    private func answer(_ request: BlockRequest, to peer: PublicKey) {
        var blocks: [Block] = []
        var lastQC: QuorumCertificate?
        switch request.target {
        case .byID(let id, let ancestors):
            var cursor = try? store.block(id: id)
            while let block = cursor, blocks.count <= Int(min(ancestors, 64)), block.height > 0 {
                blocks.append(block)
                cursor = try? store.block(id: block.parentID)
            }
            blocks.reverse()
        case .finalized(let from, let count):
            let batch = (try? store.finalizedBlocks(from: from, limit: Int(min(count, 128)))) ?? []
            blocks = batch.map(\.block)
            lastQC = batch.last?.qc
        }
        guard !blocks.isEmpty else { return }
        let response = Message.blockResponse(BlockResponse(requestID: request.requestID, blocks: blocks, lastBlockQC: lastQC))
        transport.send(response, to: peer)
    }
}

extension EventHandler {
    /// The app reached `hash` at `height`: proposals carry it.
    mutating func handleStateExecuted(height: Height, hash: Bytes32) {
        _ = handle(.stateExecuted(height: height, stateHash: hash))
    }
}
