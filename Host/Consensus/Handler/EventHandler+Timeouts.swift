/// Timeouts, TCs and the view timer.
extension EventHandler {
    /// A second, different, validly signed timeout for one view is evidence
    /// (reported once per signer and view); a repeat of the first is nothing.
    mutating func checkDoubleTimeout(_ earlier: TimeoutObject, _ timeout: TimeoutObject) {
        guard earlier.highQC.view != timeout.highQC.view,
              timeouts[timeout.view]?.doubleTimeoutsReported.contains(timeout.signer) == false else { return }
        do throws(ValidationError) { try validator.validate(timeout) } catch {
            return emit(.dropped(.invalid(error)))
        }
        timeouts[timeout.view]?.doubleTimeoutsReported.insert(timeout.signer)
        emit(.evidence(.doubleTimeout(earlier, timeout)))
    }

    mutating func onTimeout(_ timeout: TimeoutObject, trusted: Bool) {
        // Views come from the wire: compare without arithmetic on them (no overflow at UInt64.max).
        guard timeout.view >= currentView - min(currentView, 1), timeout.view > forks.finalized.view else {
            return emit(.dropped(.stale(timeout.view)))
        }
        if !trusted {
            // Verify once, before anything is stored: a duplicate costs one lookup.
            if let earlier = timeouts[timeout.view]?.timeout(of: timeout.signer) {
                return checkDoubleTimeout(earlier, timeout)
            }
            do throws(ValidationError) { try validator.validate(timeout) } catch {
                return emit(.dropped(.invalid(error)))
            }
            // Its certificates prove the sender's view: they may move us ahead.
            if let tc = timeout.lastViewTC { process(tc) }
            process(timeout.highQC)
        }
        guard timeout.view >= currentView - min(currentView, 1) else { return }
        guard timeout.view <= currentView + config.viewsAheadMax else {
            return emit(.dropped(.tooFarAhead(timeout.view, current: currentView)))
        }
        var collector = timeouts[timeout.view] ?? TimeoutCollector(view: timeout.view)
        let outcome = collector.add(timeout, committee: committee, verify: nil)
        timeouts[timeout.view] = collector
        switch outcome {
        case .added, .duplicate, .invalid: break
        case .partial:
            // More than 1/3 gave up on this view: at least one honest node did; join it.
            if timeout.view == currentView { timeOut() }
        case .certified(let tc): process(tc)
        }
    }

    mutating func onTimer(_ timer: Timer) {
        switch timer {
        case .viewTimeout(let view):
            guard view == currentView, !isFollower else { return }
            if localReputationForTesting { locallySuspected.insert(election.leader(of: view)) }
            timeOut()
            // Liveness under loss: while stuck, re-broadcast at the view's timeout interval.
            emit(.scheduleTimer(.viewTimeout(view), atMs: nowMs + pacemaker.timeoutMs))
        case .idleProposal(let view):
            guard view == currentView else { return }
            requestPayload()
        case .statusRetry:
            askForStatus()
        }
    }

    /// Signs (or re-sends) this node's timeout for the current view.
    mutating func timeOut() {
        let isNew = safety.data.lastTimeout?.view != currentView
        let timeout: TimeoutObject
        do throws(SafetyRules.Refusal) {
            timeout = try safety.timeout(view: currentView, highQC: pacemaker.highestQC, lastViewTC: pacemaker.lastViewTC)
        } catch {
            return emit(.dropped(.refusedBySafetyRules(error)))
        }
        if isNew { emit(.persistSafetyData(safety.data)) }
        emit(.broadcast(.timeout(timeout)))
        if isNew { onTimeout(timeout, trusted: true) }
    }
}

extension TimeoutCollector {
    func contains(_ signer: ValidatorIndex) -> Bool { timeoutsContain(signer) }
}
