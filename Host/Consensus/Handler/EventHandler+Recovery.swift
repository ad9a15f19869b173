/// SR-R: recovering lost safety data from the other members' certificates
/// (the rule and why it is safe: `SafetyRecovery`).
extension EventHandler {
    /// At start: ask every peer, and ask again until a quorum has answered.
    mutating func startRecovery() {
        guard var recovery = safetyRecovery else { return }
        recovery.nonce = nowMs
        safetyRecovery = recovery
        askForStatus()
    }

    mutating func askForStatus() {
        guard let recovery = safetyRecovery else { return }
        emit(.broadcast(.statusRequest(StatusRequest(nonce: recovery.nonce))))
        emit(.scheduleTimer(.statusRetry, atMs: nowMs + SafetyRecovery.retryMs))
    }

    /// Any member may ask: the answer is this node's highest certificates,
    /// at most one every `statusAnswerIntervalMs` per asker (a Byzantine
    /// asker gets no more than that).
    mutating func onStatusRequest(_ request: StatusRequest, from member: ValidatorIndex) {
        guard member != me, committee.publicKey(of: member) != nil else { return }
        if let last = statusAnswered[member], nowMs < last + Self.statusAnswerIntervalMs { return }
        statusAnswered[member] = nowMs
        emit(.send(.status(StatusReport(nonce: request.nonce, highQC: pacemaker.highestQC, lastViewTC: pacemaker.lastViewTC,
                                        signedThrough: safety.data.highestSignedView)), to: member))
    }

    static let statusAnswerIntervalMs: UInt64 = 100

    /// SR-R: an answer to this run's request, from another voting member,
    /// with valid certificates, counts; a quorum of them ends the recovery.
    mutating func onStatusReport(_ report: StatusReport, from member: ValidatorIndex) {
        guard var recovery = safetyRecovery, report.nonce == recovery.nonce, member != me,
              committee.isVoter(member) else { return }
        do throws(ValidationError) {
            try validator.validate(report.highQC)
            if let tc = report.lastViewTC { try validator.validate(tc) }
        } catch {
            return emit(.dropped(.invalid(error)))
        }
        recovery.record(member, report)
        safetyRecovery = recovery
        guard let floor = recovery.floor(in: committee) else { return }
        safetyRecovery = nil
        safety.resume(refusingVotesThrough: floor.votes, timeoutsThrough: floor.timeouts)
        emit(.persistSafetyData(safety.data))
        emit(.safetyRecovered(refusedThrough: floor.votes))
        if let qc = recovery.highestQC { process(qc) }
        if let tc = recovery.highestTC { process(tc) }
        startProposalIfLeader()
    }

    /// Test-only: starts without safety data but signs as if it had none to
    /// lose (SR-R off), so the simulator can show it catches the double votes.
    @_spi(Testing) public mutating func skipSafetyRecoveryForTesting() {
        safetyRecovery = nil
        safety.muted = false
    }
}
