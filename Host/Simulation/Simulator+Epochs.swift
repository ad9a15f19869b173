import BatonCrypto
@_spi(Testing) import Consensus

/// Committee changes in the simulator: the switch at each epoch's last block
/// (EP-1), the new core rooted there (EP-3), and what a node behind an
/// epoch does (EP-4) — as a node's shell does them, over the same core.
extension Simulator {
    /// (Re)starts node `i`'s core from its store: in the store's epoch,
    /// from that epoch's root, with the key the node holds in it.
    mutating func startCore(_ i: Int) {
        let epoch = nodes[i].store.epoch
        let committee = plan.committeeInForce(epoch: epoch, rootView: nodes[i].store.epochRoot.view)
        nodes[i].epoch = epoch
        nodes[i].committee = committee
        nodes[i].key = plan.keys[Int(epoch)][i]
        nodes[i].signer = setup.signer(nodes[i].key)
        nodes[i].member = committee.index(of: setup.keys[nodes[i].key].publicKey) ?? Self.notAMember
        var recovery = nodes[i].store.recovery
        recovery.executedStates = nodes[i].app.recentStates(config.appHashesRetained)
        var core = EventHandler(committee: committee, root: nodes[i].store.epochRoot, signer: nodes[i].signer,
                                verifier: verifier, config: config, recovery: recovery)
        if nodes[i].honest {
            if parameters.breakHonestSafetyForTesting { core.allowDoubleVotesForTesting() }
            if parameters.breakAppAgreementForTesting { core.ignoreAppAgreementForTesting = true }
            if parameters.skipSafetyRecoveryForTesting { core.skipSafetyRecoveryForTesting() }
            if parameters.acceptOldCommitteeForTesting, epoch > 0 {
                core.acceptPreviousCommitteeForTesting(plan.committees[Int(epoch) - 1])
            }
        }
        nodes[i].core = core
        views[i] = core.currentView
    }

    /// EP-1, EP-3: node `i` committed the last block of its epoch. The
    /// record is stored first (one synchronous write), then the new core
    /// starts from the root; the old core is dropped with whatever it had
    /// still to do, and its timers with it.
    mutating func switchEpoch(_ i: Int, to change: EpochChange) {
        if nodes[i].honest { checker.switched(node: i, to: change, previous: committee(of: i)) }
        nodes[i].store.switchEpoch(change)
        queue.removeAll { if case .timer(_, let node) = $0 { node == i } else { false } }
        epochSwitches += 1
        announce(change, from: i)
        startCore(i)
        record(i, nil, note: "epoch \(change.epoch) from \(change.root) as member \(nodes[i].member)")
        handle(.stateExecuted(height: nodes[i].app.height, stateHash: nodes[i].app.hash), at: i)
        handle(.start(nowMs: now), at: i)
    }

    /// EP-4: the QC that ended the epoch, to every node. The first node to
    /// switch is usually the leader that formed it from votes: without this
    /// the others would learn of the end only by timing out and catching up.
    mutating func announce(_ change: EpochChange, from i: Int) {
        for j in nodes.indices where j != i && reachable(i, j) {
            if now < gstMs, rng.chance(parameters.scenario.network.dropPermille) { continue }
            let at = now + latency()
            queue.push(.message(.certificateFetched(change.qc, nowMs: at), from: i, epoch: change.epoch, to: j), at: at)
        }
    }

    /// A message from node `from`, sent in `epoch`. A node behind that epoch
    /// catches up (EP-4: nothing of the later epoch validates here); the
    /// message itself is delivered either way — the core must refuse what
    /// another epoch signed by itself (EP-2), not count on the tag.
    mutating func deliver(_ event: Event, from: Int, epoch: Epoch, to: Int) {
        if epoch > nodes[to].epoch {
            let hint = committee(of: to).index(of: setup.keys[nodes[from].key].publicKey) ?? 0
            handle(.behind(hint: hint, nowMs: now), at: to)
        }
        if nodes[to].behavior == .leakedKey { leakedKeyVote(event, at: to) }
        handle(event, at: to)
    }

    /// The holder of a leaked key, once the member rotated it away: a vote
    /// with the old key, signed as in the epoch that key served, for every
    /// proposal it sees — sent to everyone, leaders included.
    mutating func leakedKeyVote(_ event: Event, at i: Int) {
        guard case .proposal(let proposal, _) = event,
              let rotated = (1..<plan.committees.count).first(where: { !plan.committees[$0].contains(setup.keys[nodes[i].key].publicKey) }),
              nodes[i].epoch >= Epoch(rotated),
              let index = plan.committees[rotated - 1].index(of: setup.keys[nodes[i].key].publicKey) else { return }
        let old = plan.committees[rotated - 1]
        let block = proposal.block
        let vote = Vote(view: block.view, blockID: block.id, signer: index,
                        signature: nodes[i].signer.sign(SigningDomain.voteDigest(domain: old.signingDomain, view: block.view,
                                                                                  blockID: block.id)))
        sendOut(.vote(vote), from: i, to: nil)
    }
}

extension Committee {
    func contains(_ key: PublicKey) -> Bool { index(of: key) != nil }
}
