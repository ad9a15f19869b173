import BatonCrypto

/// The app-agreement rules AA-1..AA-3 (see `AppAgreement`) at work: votes
/// wait for and check the app's state; certificates reveal a divergent app.
extension EventHandler {
    /// The app committed `height` and reached `hash`.
    mutating func onStateExecuted(height: Height, hash: Bytes32) {
        if let divergence = appAgreement.executed(height: height, hash: hash) {
            return emit(.halt(.appDiverged(divergence)))  // AA-3
        }
        // AA-1's deferral: votes that waited for this height may go now.
        for id in appAgreement.takeDeferred() {
            guard let block = forks.block(id), block.view == currentView else { continue }
            voteIfAppAgrees(block)
        }
    }

    /// `block` is certified (AA-2); halts a node whose app disagrees (AA-3).
    mutating func noteCertified(_ block: Block) {
        if let divergence = appAgreement.certified(block) { emit(.halt(.appDiverged(divergence))) }
    }

    /// AA-1, then the safety rules: the vote for a block the app validated.
    mutating func voteIfAppAgrees(_ block: Block) {
        switch ignoreAppAgreementForTesting ? .agrees : appAgreement.verdict(for: block) {
        case .agrees: break
        case .notExecutedYet:
            if !appAgreement.deferVote(block.id) { emit(.dropped(.appStateUnknown(block.view, executedHeight: block.executedHeight))) }
            return
        case .forgotten:
            return emit(.dropped(.appStateUnknown(block.view, executedHeight: block.executedHeight)))
        case .disagrees(let mismatch):
            return emit(.dropped(.appStateDisagrees(mismatch)))
        }
        let vote: Vote
        do throws(SafetyRules.Refusal) { vote = try safety.vote(for: block, currentView: currentView) } catch {
            return emit(.dropped(.refusedBySafetyRules(error)))
        }
        precondition(vote.view == block.view && safety.data.highestVotedView == block.view, "a vote is for the block's own view")
        emit(.persistSafetyData(safety.data))
        deliver(vote)
    }
}
