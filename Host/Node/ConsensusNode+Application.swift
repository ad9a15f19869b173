import BatonCrypto
import Consensus
import PluginHost

/// The node's calls into the app: produce, validate and commit blocks, and
/// admit transactions. Answers the app gives at once are queued as follow-up
/// events (`step`), never handed to the core from inside an effect list.
extension ConsensusNode {
    func produce(_ proposal: ProposalContext) {
        let now = clock.nowMs()
        let context = BlockContext(height: proposal.height, view: proposal.view, timestampMs: now,
                                   parentID: proposal.parentID.bytes, proposer: publicKey.compressed,
                                   pendingPayloads: proposal.pendingAncestors.map(\.payload))
        let inFlight = Set(proposal.pendingAncestors.flatMap(\.includedTransactions))
        let candidates = mempool.batch(nowMs: now, excluding: inFlight)
        do {
            switch try app.produceBlock(context, candidates: candidates.map(\.transaction)) {
            case .ready(let payload, let included):
                let hashes = included.filter { $0 < candidates.count }.map { candidates[$0].hash }
                followUps.append(.payloadProduced(view: proposal.view, payload: payload, nowMs: now, included: hashes))
            case .pending(let token):
                pendingProductions[token.value] = proposal.view
            }
        } catch {
            logger.error("produce_block failed; not proposing in this view", metadata: ["error": "\(error)"])
        }
    }

    func validate(_ block: Block, ancestors: [Block]) {
        let answer: ValidateAnswer
        do { answer = try app.validateBlock(context(for: block, ancestors: ancestors), payload: block.payload) } catch {
            logger.error("validate_block failed; not voting", metadata: ["block": "\(block)", "error": "\(error)"])
            return
        }
        switch answer {
        case .valid: followUps.append(.payloadValidated(blockID: block.id, valid: true, nowMs: clock.nowMs()))
        case .invalid(let reason):
            logger.info("app rejected a proposal", metadata: ["block": "\(block)", "reason": "\(reason)"])
            followUps.append(.payloadValidated(blockID: block.id, valid: false, nowMs: clock.nowMs()))
        case .pending(let token): pendingValidations[token.value] = block.id
        }
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
            guard let view = pendingProductions.removeValue(forKey: completion.token.value),
                  case .produced(let payload) = completion.outcome else { return }
            step(.payloadProduced(view: view, payload: payload, nowMs: now))
        }
    }

    /// Commits finalized blocks to the app and the store, one atomic batch per block.
    func commit(_ finalization: Forks.Finalization) throws {
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
                throw NodeFailure.appCommit(block, error)
            }
            let stateHash = Bytes32(hash.bytes)!
            try store.commit(block, certifiedBy: qc, stateHash: stateHash)
            mempool.remove(block.includedTransactions)
            recordCommit(block, stateHash: stateHash)
            followUps.append(.stateExecuted(height: block.height, stateHash: stateHash))
        }
        if mempool.count == 0 { followUps.append(.mempoolChanged(nonEmpty: false, nowMs: clock.nowMs())) }
    }

    private func recordCommit(_ block: Block, stateHash: Bytes32) {
        metrics.finalizedHeight.set(Double(block.height))
        metrics.committedTransactions.increment(by: Int64(block.includedTransactions.count))
        let now = clock.nowMs()
        metrics.commitLatency.record(Double(now > block.timestampMs ? now - block.timestampMs : 0))
        status.finalizedHeight = block.height
        status.finalizedID = block.id
        status.stateHash = stateHash
        onCommit(block.height, stateHash)
        events.yield(.finalized(height: block.height, id: block.id, view: block.view, stateHash: stateHash,
                                proposer: block.proposer, transactions: block.includedTransactions))
    }

    func context(for block: Block, ancestors: [Block], finalityProof: [UInt8] = []) -> BlockContext {
        BlockContext(height: block.height, view: block.view, timestampMs: block.timestampMs, blockID: block.id.bytes,
                     parentID: block.parentID.bytes,
                     proposer: committee.publicKey(of: block.proposer)?.compressed ?? [],
                     pendingPayloads: ancestors.map(\.payload), finalityProof: finalityProof)
    }
}
