import BatonConfig
import BatonCrypto
import Consensus
import PluginHost
import Governance

/// Committee changes on this node (docs/governance.md, "Committee changes"): the
/// operators' plans decided at commit (C-1 … C-3), the switch at the block
/// that decided one (EP-1), the new epoch's core rooted there (EP-3), and
/// what a node behind an epoch does (EP-4).
///
/// Invariants:
/// - The switch record lands in the same batch as the block that ended the
///   epoch, and is durable before the new core signs anything (its first
///   signature is a synced write after it, in RocksDB's ordered log).
/// - Nothing above an epoch's last block is committed in that epoch: the
///   commit stops there, and the old core's remaining effects are dropped.
extension ConsensusNode {
    public var epoch: Epoch { committee.epoch }

    /// Where each member of the committee in force listens, in its order.
    var memberAddresses: [String] { epochs.memberAddresses }

    /// A committee plan was proposed: its new members may connect from now
    /// on, to follow the chain until the switch.
    func committeePlanProposed() {
        let node = self
        Task { await node.updateMembership() }
    }

    /// A committee plan decided by `block` (C-3): stages the switch to land
    /// with the block and returns its record (nil if `block` cannot root an epoch).
    func committeePlanDecided(_ plan: CommitteeChangePlan, approvers: [PublicKey], by block: Block,
                              finalization: Forks.Finalization) throws -> EpochRecord? {
        // C-1 checked the list against this very committee: it cannot fail here.
        let next = try plan.committee(following: committee)
        guard let change = EpochChange(committee: next, root: block, finalization: finalization) else { return nil }
        let record = EpochRecord(change: change, addresses: plan.members.map(\.address))
        try store.stageEpochSwitch(epoch: next.epoch, record: record.encoded)
        logger.notice("committee plan decided: this block ends epoch \(committee.epoch)",
                      metadata: ["plan": "\(plan)", "height": "\(block.height)", "approvers": "\(approvers.count)"])
        return record
    }

    /// The application's committee changes in `block` (ABI 1.5), applied in
    /// order to the committee in force: weight 0 removes a member, a new key
    /// joins at its address, any other weight replaces a member's. When they
    /// leave a valid committee, the switch is staged as for an operators'
    /// plan (the block ends the epoch); otherwise nothing changes and the log
    /// says why — the same on every node, since the changes are the app's
    /// replicated output (and app agreement holds its state to one).
    func applyAppCommitteeUpdates(_ updates: [CommitteeUpdate], of block: Block,
                                  finalization: Forks.Finalization) throws -> EpochRecord? {
        guard !updates.isEmpty else { return nil }
        let addresses = memberAddresses
        guard addresses.count == committee.count else {
            logger.error("the application changed the committee, but this node does not know its members' addresses: nothing changes",
                         metadata: ["height": "\(block.height)"])
            return nil
        }
        var members = zip(committee.members, addresses).map {
            CommitteeChangePlan.Member(publicKey: $0.publicKey, weight: $0.weight, address: $1)
        }
        var problem: String?
        for update in updates {
            guard let key = PublicKey(compressed: update.publicKey) else {
                problem = "\(Hex.encode(update.publicKey)) is not a secp256k1 public key"
                break
            }
            if let index = members.firstIndex(where: { $0.publicKey == key }) {
                if update.weight == 0 {
                    members.remove(at: index)
                } else {
                    let address = update.address.isEmpty ? members[index].address : update.address
                    members[index] = CommitteeChangePlan.Member(publicKey: key, weight: update.weight, address: address)
                }
            } else if update.weight > 0 {
                guard !update.address.isEmpty else {
                    problem = "\(key) joins without an address to dial"
                    break
                }
                members.append(CommitteeChangePlan.Member(publicKey: key, weight: update.weight, address: update.address))
            }
        }
        let plan = CommitteeChangePlan(chainID: chainID, epoch: committee.epoch, expiresAtHeight: block.height, members: members)
        if let why = problem ?? plan.problem(chainID: chainID, committee: committee) {
            logger.error("the application's committee changes leave no valid committee: nothing changes",
                         metadata: ["height": "\(block.height)", "changes": "\(updates.count)", "problem": "\(why)"])
            return nil
        }
        let next = try plan.committee(following: committee)
        guard let change = EpochChange(committee: next, root: block, finalization: finalization) else { return nil }
        let record = EpochRecord(change: change, addresses: members.map(\.address))
        try store.stageEpochSwitch(epoch: next.epoch, record: record.encoded)
        logger.notice("the application changed the committee: this block ends epoch \(committee.epoch)",
                      metadata: ["height": "\(block.height)", "changes": "\(updates.count)", "members": "\(next.count)"])
        return record
    }

    /// EP-1, EP-3: the block that ended the epoch is committed (with the
    /// record); from here the new committee's core runs, from that block.
    func switchEpoch(to record: EpochRecord) {
        let previous = epochs.switchEpoch(to: record)
        let member = committee.index(of: signer.publicKey).flatMap { committee.isVoter($0) ? $0 : nil }
        logger.notice("committee changed: epoch \(committee.epoch) begins after height \(epochRoot.height)",
                      metadata: ["members": "\(committee.count)", "totalWeight": "\(committee.totalWeight)",
                                 "previousMembers": "\(previous.count)",
                                 "thisNode": "\(member.map { "member \($0)" } ?? "follower")"])
        metrics.epoch.set(Double(committee.epoch))
        events.yield(.committeeChanged(epoch: committee.epoch, height: epochRoot.height, members: committee.count))
        // The old epoch's nodes need the QC that ended it (the leader that
        // formed it switched at once and will not propose with it); their
        // core finalizes the root with it. And they learn they are behind.
        transport.broadcast(.blockResponse(BlockResponse(requestID: 0, blocks: [], lastBlockQC: record.change.qc)))
        transport.broadcast(.epoch(epochNotice))
        let node = self
        Task { await node.updateMembership() }
        do { try restartCore() } catch {
            stop("cannot start epoch \(committee.epoch) after the committee change at height \(epochRoot.height): \(error)")
        }
    }

    var epochNotice: EpochNotice { epochs.notice }

    /// EP-4: a peer's epoch. Ahead of ours: our chain ended elsewhere — catch
    /// up by height (the answer carries the switch record). Behind: tell it
    /// ours (at most twice a second, whoever asks).
    func received(_ notice: EpochNotice, from peer: PublicKey, now: UInt64) {
        switch epochs.answer(notice) {
        case .catchUp:
            // Logged once per epoch heard of: every peer repeats its notice each tick.
            if notice.epoch > laterEpochLogged {
                laterEpochLogged = notice.epoch
                logger.info("a peer is in a later epoch: catching up",
                            metadata: ["peer": "\(peer)", "peerEpoch": "\(notice.epoch)", "epoch": "\(committee.epoch)"])
            }
            step(.behind(hint: committee.index(of: peer) ?? 0, nowMs: now))
        case .tell:
            guard now >= lastEpochReplyMs + 500 else { return }
            lastEpochReplyMs = now
            transport.send(.epoch(epochNotice), to: peer)
        case .nothing: break
        }
    }

    /// Tells every peer this node's epoch (from epoch 1 on): a node that was
    /// away at the switch learns of it within one tick.
    func announceEpoch() {
        guard committee.epoch > 0 else { return }
        transport.broadcast(.epoch(epochNotice))
    }

    /// The transport follows the committee in force (`Epochs.membership`).
    func updateMembership() async {
        let membership = epochs.membership(openPlans: committeeChanges.open.values.map(\.plan), me: signer.publicKey)
        await transport.updateMembership(members: membership.members, listeners: membership.listeners,
                                         isMember: membership.isMember)
    }

    /// What `GET /v1/committee` shows, as of now.
    public var committeeSnapshot: CommitteeSnapshot {
        CommitteeSnapshot(committee: committee, addresses: memberAddresses,
                               records: epochRecords, schedule: committeeChanges, height: status.finalizedHeight,
                               node: signer.publicKey)
    }

}
