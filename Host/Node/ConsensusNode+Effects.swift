import BatonCrypto
import Consensus
import Governance

/// The effect executor: what the core asks, carried out in the order given.
extension ConsensusNode {
    func execute(_ effects: [Effect]) {
        for effect in effects {
            do { try execute(effect) } catch {
                // Storage or app failures leave the node unable to follow the chain safely.
                return stop("\(error)")
            }
            if stopReason != nil || pendingEpochSwitch != nil { return }
        }
    }

    private func execute(_ effect: Effect) throws {
        switch effect {
        case .persistSafetyData(let data):
            // Persistence before speech: durable before anything that follows.
            do { try store.saveSafetyData(data) } catch { throw NodeFailure.safetyWrite(error) }
        case .persistLiveness(let data):
            try store.saveLiveness(data)
        case .persistBlock(let block):
            try store.saveBlock(block)
        case .broadcast(let message):
            broadcast(message)
        case .send(let message, let index):
            guard let key = committee.publicKey(of: index) else { return }
            if case .vote(let vote) = message { logger.debug("voting", metadata: ["view": "\(vote.view)", "to": "\(index)"]) }
            transport.send(message, to: key)
        case .scheduleTimer(let timer, let atMs):
            schedule(timer, atMs: atMs)
        case .produceBlock(let context):
            produce(context)
        case .validateBlock(let block, let ancestors):
            validate(block, ancestors: ancestors)
        case .finalized(let finalization):
            try commit(finalization)
        case .certified(let id, _):
            stageTimes.certified(id, atMs: clock.nowMs())
        case .fetchBlock(let id, let index):
            requestBlocks(.byID(id, ancestors: core.config.fetchAncestors), from: index)
        case .fetchFinalized(let from, let count, let index):
            requestBlocks(.finalized(fromHeight: from, count: count), from: index)
        case .evidence(let proof):
            record(proof)
        case .safetyFault(let fault):
            throw NodeFailure.safetyFault(fault)
        case .halt(.appDiverged(let mismatch)):
            appDiverged(mismatch)
            throw NodeFailure.appDiverged(mismatch)
        case .halt(let reason):
            throw NodeFailure.halted(reason)
        case .safetyRecovered(let floor):
            try store.safetyRecovered()
            logger.notice("safety data recovered from the other members' certificates (SR-R): nothing is signed in views up to \(floor)",
                          metadata: ["refusedThrough": "\(floor)"])
        case .enteredView(let view, let cause):
            entered(view, cause: cause)
        case .dropped(.appStateDisagrees(let mismatch)):
            refusedForItsAppState(mismatch)
        case .dropped(let reason):
            logger.debug("dropped input", metadata: ["reason": "\(reason)"])
        }
    }

    private func broadcast(_ message: Message) {
        if case .timeout(let timeout) = message {
            metrics.timeoutsSent.increment()
            // Logged at info so a stalled federation explains itself in
            // node.log (which view, how often): rare in a healthy network.
            if timeout.view > lastLoggedTimeoutView {
                lastLoggedTimeoutView = timeout.view
                logger.info("view timed out; asking the others to move on", metadata: ["view": "\(timeout.view)", "highQC": "\(timeout.highQC.view)"])
            }
        }
        // This node's own proposal: its transaction list is the one this node established.
        if case .proposal(let proposal) = message {
            rememberVerifiedList(proposal.block.id)
            logger.debug("proposing", metadata: ["view": "\(proposal.block.view)", "height": "\(proposal.block.height)",
                                                 "qc": "\(proposal.block.qc.view)"])
        }
        transport.broadcast(message)
    }

    /// A timer fires as an input event when the node's clock reads `atMs`.
    private func schedule(_ timer: Timer, atMs: UInt64) { timers.schedule(timer, atMs: atMs) }

    private func record(_ proof: Evidence) {
        let key = committee.publicKey(of: proof.offender)
        guard evidence.add(proof, offenderKey: key, nowMs: clock.nowMs(), epoch: committee.epoch) else { return }
        metrics.evidence.increment()
        events.yield(.evidence(kind: proof.kind, offender: proof.offender, view: proof.view))
        logger.warning("misbehavior evidence (GET /v1/evidence has both signed messages)",
                       metadata: ["kind": "\(proof.kind)", "offender": "\(proof.offender)", "view": "\(proof.view)",
                                  "publicKey": "\(key?.hex ?? "?")"])
    }

    private func entered(_ view: View, cause: Pacemaker.Cause) {
        status.view = view
        if core.leader(of: view) != committee.stakeLeader(of: view) {
            status.leaderSkippedViews += 1
            metrics.leaderSkipped.increment()
        }
        metrics.view.set(Double(view))
        if cause == .tc {
            metrics.viewsByTC.increment()
            logger.info("entered a view on a timeout certificate", metadata: ["view": "\(view)"])
        } else { metrics.viewsByQC.increment() }
        events.yield(.viewChanged(view: view, byTimeout: cause == .tc))
    }

    /// AA-1: if every proposal is refused so, this node's app (or all of them) diverged.
    private func refusedForItsAppState(_ mismatch: AppAgreement.Mismatch) {
        status.appRefusals += 1
        status.lastAppRefusal = mismatch
        metrics.appStateRefusals.increment()
        logger.warning("not voting: the proposal's app state hash is not this node's app's",
                       metadata: ["height": "\(mismatch.height)", "own": "\(mismatch.ownHash.hex)",
                                  "proposal": "\(mismatch.otherHash.hex)", "block": "\(mismatch.blockID.short)",
                                  "proposer": "\(mismatch.proposer)"])
    }

    /// AA-3: shown before the node stops, so status, metrics and event
    /// subscribers learn why it is going away.
    private func appDiverged(_ mismatch: AppAgreement.Mismatch) {
        status.appDivergence = mismatch
        metrics.appDiverged.set(Double(1))
        events.yield(.diverged(mismatch))
    }

    /// Block sync, asking side: the core names the peer (and rotates it on retries).
    private func requestBlocks(_ target: BlockRequest.Target, from index: ValidatorIndex) {
        guard let peer = committee.publicKey(of: index) else { return }
        requestCount += 1
        transport.send(.blockRequest(BlockRequest(requestID: requestCount, target: target)), to: peer)
    }
}

/// Why a node stopped itself. Every case is unrecoverable by the node alone:
/// the operator reads the message, fixes the cause, and restarts it.
enum NodeFailure: Error, CustomStringConvertible {
    case safetyWrite(any Error)
    case safetyFault(String)
    case halted(HaltReason)
    case appDiverged(AppAgreement.Mismatch)
    case appCommit(Block, any Error)
    case corruptSchedule(GovernanceBook.Unreadable)
    case corruptEpochRecord(String)

    var description: String {
        switch self {
        case .corruptEpochRecord(let detail):
            "a stored committee change is unreadable (\(detail)): the data directory is damaged; move it aside and resync this node from the others"
        case .corruptSchedule(let unreadable):
            "\(unreadable): the data directory is damaged; move it aside and resync this node from the others"
        case .safetyWrite(let error):
            "cannot persist safety data (\(error)); the node must not vote or time out without it — check the data directory's disk"
        case .safetyFault(let fault):
            "SAFETY FAULT: \(fault) — more than a third of the committee's weight is Byzantine; keep this node's data for inspection"
        case .halted(let reason): "consensus halted: \(reason) — a bug in Baton; please report it with this node's log"
        case .appDiverged(let m):
            "APP DIVERGED at height \(m.height): this node's app state hash is \(m.ownHash.hex), the quorum certified \(m.otherHash.hex) "
                + "(block \(m.blockID.short)). This node stopped applying blocks; its data directory is kept for inspection. "
                + "The plugin is not deterministic, or this node runs another build of it, or its app state is damaged: "
                + "fix the plugin (the same .so on every node; no clocks, randomness, process ids or addresses in the state), "
                + "then move this node's data directory aside (wiping its app state) and restart it to resync from the others"
        case .appCommit(let block, let error):
            "the app cannot commit finalized \(block): \(error) — the plugin cannot follow the chain; fix or replace it, then restart"
        }
    }
}
