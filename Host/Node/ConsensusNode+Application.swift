import BatonCrypto
import Consensus
import PluginHost
import Governance

/// The node's calls into the app: produce, validate and commit blocks, and
/// admit transactions. Answers the app gives at once are queued as follow-up
/// events (`step`), never handed to the core from inside an effect list.
extension ConsensusNode {
    /// A plugin process that dies this many times applying one block stops
    /// the node, naming the block, height and call (issue 29).
    static let commitCrashesMax = 3

    func produce(_ proposal: ProposalContext) {
        let now = clock.nowMs()
        let context = BlockContext(height: proposal.height, view: proposal.view, timestampMs: now,
                                   parentID: proposal.parentID.bytes, proposer: publicKey.compressed,
                                   pendingPayloads: proposal.pendingAncestors.map(\.payload))
        let inFlight = Set(proposal.pendingAncestors.flatMap(\.includedTransactions) + proposal.pendingAncestors.flatMap(hostTransactionHashes))
        let batch = admission.mempool.batch(nowMs: now, finalizedHeight: status.finalizedHeight, excluding: inFlight)
        // Host transactions go in the block's host payload; the app sees only its own.
        let candidates = batch.filter { !HostTransaction.isHostTransaction($0.transaction) }
        let host = batch.filter { HostTransaction.isHostTransaction($0.transaction) }.prefix(HostPayload.transactionsMax)
            .compactMap { try? HostTransaction(submission: $0.transaction) }
        // V-1: the application in force at this height, or no proposal.
        guard let blockApp = application(for: proposal.height) else {
            logger.error("not proposing: the application for height \(proposal.height) is not loaded", metadata: ["problem": "\(upgradeProblem ?? "-")"])
            missingApplication(at: proposal.height)
            return
        }
        do {
            let transactions = candidates.map(\.transaction)
            let answer = try watchdog.measure(.produceBlock, height: proposal.height) { () throws(ApplicationError) in
                try blockApp.produceBlock(context, candidates: transactions)
            }
            switch answer {
            case .ready(let payload, let included):
                let listed = included.filter { $0 < candidates.count }.map { candidates[$0].hash }
                let hashes = proposalTransactions(payload, listed: listed, app: blockApp)
                followUps.append(.payloadProduced(view: proposal.view, payload: payload, nowMs: now, included: hashes,
                                                  hostPayload: HostPayload.encode(Array(host))))
            case .pending(let token):
                pendingProductions[token.value] = proposal.view
                armDeadline(token)
            }
        } catch {
            logger.error("produce_block failed; not proposing in this view", metadata: ["error": "\(error)"])
        }
    }

    /// The app's answer to `block_transactions` for `payload` (see `BlockTransactions`).
    enum Derivation {
        case derived([Bytes32])
        /// The app cannot tell (ABI 1.0/1.1, or BATON_NOT_FOUND): the fallback applies.
        case unknown
        case failed(ApplicationError)
    }

    /// `expected`: the list the block claims (or the proposer flagged); those
    /// this node holds are not hashed again (`BlockTransactions.hashes`).
    func derive(_ payload: [UInt8], app: any Application, expected: [Bytes32] = []) -> Derivation {
        let pool = mempool
        do {
            let derived = try watchdog.measure(.blockTransactions) { () throws(ApplicationError) in
                try BlockTransactions.derived(payload, app: app, expected: expected, mempool: pool)
            }
            return derived.map { .derived($0) } ?? .unknown
        } catch {
            return .failed(error)
        }
    }

    /// The list a proposal of `payload` carries: what the app derives from the
    /// payload, else what it flagged and the payload contains verbatim.
    func proposalTransactions(_ payload: [UInt8], listed: [Bytes32], app: any Application) -> [Bytes32] {
        switch derive(payload, app: app, expected: listed) {
        case .derived(let hashes): return hashes
        case .unknown: return BlockTransactions.verified(listed, payload: payload, mempool: mempool)
        case .failed(let error):
            logger.error("block_transactions failed; proposing without a transaction list",
                         metadata: ["plugin": "\(app.info.name)", "error": "\(error)"])
            return []
        }
    }

    /// Why `block`'s transaction list is not what its payload carries, or nil.
    /// `derived`: the app's list, if the caller already has it.
    func transactionListProblem(_ block: Block, app: any Application, derived: Derivation? = nil) -> String? {
        switch derived ?? derive(block.payload, app: app, expected: block.includedTransactions) {
        case .derived(let hashes):
            guard hashes == block.includedTransactions else {
                return "it lists \(block.includedTransactions.count) transactions, its payload carries \(hashes.count) others or in another order"
            }
            rememberVerifiedList(block.id)
            return nil
        case .unknown:
            return BlockTransactions.missing(block.includedTransactions, payload: block.payload, mempool: mempool)
                .map { "it lists transaction \($0.short), which its payload does not contain" }
        case .failed(let error):
            return "block_transactions failed in plugin \(app.info.name): \(error)"
        }
    }

    func rememberVerifiedList(_ id: BlockID) {
        if verifiedTransactionLists.count >= Self.verifiedListsMax { verifiedTransactionLists.removeAll() }
        verifiedTransactionLists.insert(id)
    }

    /// The transactions a committed block carries, as far as this node can tell.
    func committedTransactions(_ block: Block, app: any Application) -> [Bytes32] {
        // Derived and checked before (validation, or this node's own proposal): the list is the payload's.
        if verifiedTransactionLists.remove(block.id) != nil { return block.includedTransactions }
        switch derive(block.payload, app: app, expected: block.includedTransactions) {
        case .derived(let hashes): return hashes
        case .unknown: return BlockTransactions.verified(block.includedTransactions, payload: block.payload, mempool: mempool)
        case .failed(let error):
            logger.error("block_transactions failed at commit; its transactions stay in the mempool until they expire",
                         metadata: ["plugin": "\(app.info.name)", "block": "\(block)", "error": "\(error)"])
            return []
        }
    }

    /// The mempool hashes of a block's host transactions (their submissions).
    func hostTransactionHashes(_ block: Block) -> [Bytes32] {
        ((try? HostPayload.decode(block.hostPayload)) ?? []).map { SHA256Digest.hash($0.submission) }
    }

    /// Why a proposal's host payload must not be voted for, or nil: it must
    /// decode, and every transaction must be a member's valid signature for
    /// this chain (what needs state is judged at commit, deterministically).
    func hostPayloadProblem(_ block: Block) -> String? {
        let transactions: [HostTransaction]
        do { transactions = try HostPayload.decode(block.hostPayload) } catch { return "malformed host payload: \(error)" }
        for transaction in transactions {
            if let problem = transaction.problem(chainID: committee.chainID, committee: committee, verifier: hostVerifier) {
                return "host transaction refused: \(problem)"
            }
        }
        return nil
    }

    func validate(_ block: Block, ancestors: [Block]) {
        if let problem = hostPayloadProblem(block) {
            logger.warning("not voting: the proposal's host payload is invalid",
                           metadata: ["block": "\(block)", "proposer": "\(block.proposer)", "problem": "\(problem)"])
            followUps.append(.payloadValidated(blockID: block.id, valid: false, nowMs: clock.nowMs()))
            return
        }
        // V-1: judged by the application in force at the block's height.
        guard let blockApp = application(for: block.height) else {
            logger.warning("not voting: the application for height \(block.height) is not loaded",
                           metadata: ["block": "\(block)", "problem": "\(upgradeProblem ?? "-")"])
            followUps.append(.payloadValidated(blockID: block.id, valid: false, nowMs: clock.nowMs()))
            missingApplication(at: block.height)
            return
        }
        let blockContext = context(for: block, ancestors: ancestors)
        // A plugin in its own process lists and judges the payload in one
        // round trip; the list is still checked before any vote, and a
        // pending answer for a block with a false list is abandoned.
        var combined: Result<ValidateAnswer, ApplicationError>?
        var derived: Derivation?
        if blockApp.validatesWithListing {
            let payload = block.payload
            let (listed, answer) = watchdog.measure(.validateBlock, height: block.height) {
                blockApp.validateListing(blockContext, payload: payload)
            }
            combined = answer
            switch listed {
            case _ where payload.isEmpty: derived = .derived([])  // an idle block carries nothing
            case .success(let list?):
                derived = .derived(BlockTransactions.hashes(of: list, expected: block.includedTransactions, mempool: mempool))
            case .success(nil): derived = .unknown
            case .failure(let error): derived = .failed(error)
            }
        }
        if let problem = transactionListProblem(block, app: blockApp, derived: derived) {
            logger.warning("not voting: the proposal's transaction list is false",
                           metadata: ["block": "\(block)", "proposer": "\(block.proposer)", "problem": "\(problem)"])
            if case .success(.pending(let token))? = combined { _ = blockApp.abandon(token) }
            followUps.append(.payloadValidated(blockID: block.id, valid: false, nowMs: clock.nowMs()))
            return
        }
        let answer: ValidateAnswer
        do {
            if let combined {
                answer = try combined.get()
            } else {
                answer = try watchdog.measure(.validateBlock, height: block.height) { () throws(ApplicationError) in
                    try blockApp.validateBlock(blockContext, payload: block.payload)
                }
            }
        } catch {
            logger.error("validate_block failed; not voting", metadata: ["block": "\(block)", "error": "\(error)"])
            return
        }
        switch answer {
        case .valid: followUps.append(.payloadValidated(blockID: block.id, valid: true, nowMs: clock.nowMs()))
        case .invalid(let reason):
            logger.info("app rejected a proposal", metadata: ["block": "\(block)", "reason": "\(reason)"])
            followUps.append(.payloadValidated(blockID: block.id, valid: false, nowMs: clock.nowMs()))
        case .pending(let token):
            pendingValidations[token.value] = block.id
            armDeadline(token)
        }
    }

    /// The pending answer's deadline, on the node's clock.
    private func armDeadline(_ token: PendingToken) {
        let inputs = self.inputs, clock = self.clock
        let delay = pendingDeadlineMs
        Task {
            await clock.sleep(forMs: delay)
            inputs.deadline(token)
        }
    }

    /// A pending answer that did not come in time is the plugin's error: no
    /// vote (validate) or no proposal this view (produce). Its token is
    /// abandoned, so a completion after this is refused.
    func pendingDeadlinePassed(_ token: PendingToken, now: UInt64) {
        let validation = pendingValidations.removeValue(forKey: token.value)
        let production = pendingProductions.removeValue(forKey: token.value)
        guard validation != nil || production != nil else { return }  // answered in time
        _ = app.abandon(token)
        metrics.pluginDeadlines.increment()
        let call = validation != nil ? "validate_block" : "produce_block"
        logger.error("plugin did not complete a pending answer in time; counted as an error",
                     metadata: ["plugin": "\(app.info.name)", "call": "\(call)", "token": "\(token)",
                                "deadline_ms": "\(pendingDeadlineMs)"])
        if let id = validation { step(.payloadValidated(blockID: id, valid: false, nowMs: now)) }
    }

    /// A late answer from the app, through the input queue.
    func complete(_ completion: PendingCompletion, now: UInt64) {
        switch completion.call {
        case .validateBlock:
            guard let id = pendingValidations.removeValue(forKey: completion.token.value) else { return }
            switch completion.outcome {
            case .invalid(let reason):
                logger.info("app rejected a proposal", metadata: ["block": "\(id.short)", "reason": "\(reason)", "answer": "late"])
            case .failed(let error):
                logger.error("validate_block failed; not voting", metadata: ["block": "\(id.short)", "error": "\(error)"])
            default: break
            }
            step(.payloadValidated(blockID: id, valid: completion.outcome == .valid, nowMs: now))
        case .produceBlock:
            guard let view = pendingProductions.removeValue(forKey: completion.token.value) else { return }
            guard case .produced(let payload) = completion.outcome else {
                logger.error("produce_block failed (late answer); not proposing in this view",
                             metadata: ["plugin": "\(app.info.name)", "outcome": "\(completion.outcome)"])
                return
            }
            step(.payloadProduced(view: view, payload: payload, nowMs: now, included: proposalTransactions(payload, listed: [], app: app)))
        }
    }

    /// Commits finalized blocks to the app and the store, one atomic batch per block.
    func commit(_ finalization: Forks.Finalization) throws {
        let blocks = finalization.blocks
        // The app gets each block's proof of finality (ABI 1.1): the headers up
        // to the certified child and the child's QC.
        let headers = blocks.map(\.header) + [finalization.child.header]
        let finalizedMs = clock.nowMs()
        for (index, block) in blocks.enumerated() where block.height > status.finalizedHeight {
            let qc = index + 1 < blocks.count ? blocks[index + 1].qc : finalization.child.qc
            let proof = FinalityProof(chainID: committee.chainID, epoch: committee.epoch, headers: Array(headers[index...]), qc: finalization.childQC)
            // V-1, V-3: the application in force at this height, or nothing more is applied.
            guard let blockApp = application(for: block.height) else {
                missingApplication(at: block.height)
                return
            }
            let hash: StateHash
            let blockContext = context(for: block, ancestors: [], finalityProof: proof.encoded)
            // The first block of a live upgrade carries the new plugin's state migration (ABI 1.4).
            let previous = blockApp !== app ? app.info : nil
            var crashes = 0
            while true {
                do {
                    hash = try watchdog.measure(.commitBlock, height: block.height) { () throws(ApplicationError) in
                        if let previous {
                            return try blockApp.commitBlock(blockContext, payload: block.payload, migratingFrom: previous)
                        }
                        return try blockApp.commitBlock(blockContext, payload: block.payload)
                    }
                    break
                } catch where error.kind == .crashed && crashes + 1 < Self.commitCrashesMax {
                    // A plugin process died in this commit (plugin_isolation =
                    // "process"): none of its writes landed; the next call
                    // restarts it from the committed state, and the block is
                    // applied again.
                    crashes += 1
                    store.discardStaged()
                    logger.error("the plugin process died applying a block; restarted, applying it again",
                                 metadata: ["height": "\(block.height)", "block": "\(block)", "crashes": "\(crashes)",
                                            "error": "\(error)"])
                } catch {
                    store.discardStaged()
                    if error.kind == .crashed {
                        throw NodeFailure.appCommit(block, ApplicationError(.crashed, call: "commit_block",
                            message: "the plugin's process died \(Self.commitCrashesMax) times applying block \(block.id.hex) at height \(block.height), view \(block.view): the plugin cannot apply this block (fix or replace it); last: \(error.message)"))
                    }
                    throw NodeFailure.appCommit(block, error)
                }
            }
            let stateHash = Bytes32(hash.bytes)!
            let carried = committedTransactions(block, app: blockApp) + hostTransactionHashes(block)
            // The operators' plan, if one is decided here; else the app's own changes (ABI 1.5).
            let epochEnd = try applyHostTransactions(of: block, finalization: finalization)
                ?? applyAppCommitteeUpdates(blockApp.committeeUpdates, of: block, finalization: finalization)
            let record = index < finalization.leaderRecords.count ? finalization.leaderRecords[index] : nil
            // ABI 1.7: the app may ask for more history; the pass this commit starts sees it.
            appRetainHeight = blockApp.retainHeight()
            try store.commit(block, certifiedBy: qc, stateHash: stateHash, leaderRecord: record)
            let committedMs = clock.nowMs()
            let admitted = admission.committed(carried, height: block.height, nowMs: committedMs)
            recordCommit(block, stateHash: stateHash, transactions: carried)
            stageTimes.committed(block, admittedMs: admitted, finalizedMs: finalizedMs, committedMs: committedMs,
                                 eventMs: clock.nowMs())
            followUps.append(.stateExecuted(height: block.height, stateHash: stateHash))
            let now = clock.nowMs()
            if blockApp !== app { switchedApplication(to: blockApp, at: block.height, now: now) }  // V-2
            lastCommitMs = now
            // EP-1: this block ended the epoch; nothing above it is committed in it.
            if let epochEnd {
                pendingEpochSwitch = epochEnd
                return
            }
        }
        prepareUpgrade(now: clock.nowMs())
        if mempool.count == 0 { followUps.append(.mempoolChanged(nonEmpty: false, nowMs: clock.nowMs())) }
    }

    private func recordCommit(_ block: Block, stateHash: Bytes32, transactions: [Bytes32]) {
        metrics.finalizedHeight.set(Double(block.height))
        metrics.committedTransactions.increment(by: Int64(transactions.count))
        let now = clock.nowMs()
        metrics.commitLatency.record(Double(now > block.timestampMs ? now - block.timestampMs : 0))
        status.finalizedHeight = block.height
        status.finalizedID = block.id
        status.stateHash = stateHash
        snapshotServer?.committed(block.height)
        onCommit(block.height, stateHash)
        events.yield(.finalized(height: block.height, id: block.id, view: block.view, stateHash: stateHash,
                                proposer: block.proposer, transactions: transactions))
    }

    func context(for block: Block, ancestors: [Block], finalityProof: [UInt8] = []) -> BlockContext {
        BlockContext(height: block.height, view: block.view, timestampMs: block.timestampMs, blockID: block.id.bytes,
                     parentID: block.parentID.bytes,
                     proposer: committee.publicKey(of: block.proposer)?.compressed ?? [],
                     pendingPayloads: ancestors.map(\.payload), finalityProof: finalityProof)
    }
}
