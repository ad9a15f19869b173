import BatonCrypto
import Consensus

/// The committees of one run, fixed before it starts: the simulator's stand-in
/// for what the operators or the application decide (EP-1). Epoch `e` ends
/// with the block at `endHeights[e]`; the committee of epoch `e + 1` follows
/// from the change the scenario names.
///
/// Invariant (checked when built): in every epoch the Byzantine members hold
/// less than a third of the weight, so each epoch alone is a valid run.
struct CommitteePlan {
    /// `committees[e]`: the committee of epoch `e`.
    let committees: [Committee]
    /// `endHeights[e]`: the height of the last block of epoch `e`.
    let endHeights: [Height]
    /// `keys[e][node]`: the index in `SimulatedCommittee.keys` of the key
    /// physical node `node` signs with in epoch `e`.
    let keys: [[Int]]

    /// The committee of `epoch` as it runs from `rootView + 1`, the view of
    /// its root block (with the newcomer grace, EP-5): what every node of
    /// that epoch derives from the switch record.
    func committeeInForce(epoch: Epoch, rootView: View) -> Committee {
        let e = Int(epoch)
        return e == 0 ? committees[0] : committees[e].startingAfter(rootView: rootView, previous: committees[e - 1])
    }

    /// The first switch comes after a few blocks; then one every `spacing`.
    static let firstEnd: Height = 6
    static let spacing: Height = 8

    /// - Parameters:
    ///   - nodeKeys: each physical node's key in epoch 0.
    ///   - byzantineKeys: keys held by a Byzantine node (a leaked key is not:
    ///     it is an honest member's, until that member rotates it away).
    ///   - joiner: the key of the node that follows from the start to join.
    ///   - rotation: the key rotated away, the key that replaces it, and the
    ///     node that rotates (a node holding the leaked old key does not).
    init(setup: SimulatedCommittee, changes: [Scenario.CommitteeChange], nodeKeys: [Int], byzantineKeys: Set<Int>,
         joiner: Int?, rotation: (from: Int, to: Int, node: Int)?) {
        let keyIndex = Dictionary(uniqueKeysWithValues: setup.keys.enumerated().map { ($0.element.publicKey, $0.offset) })
        var committees = [setup.committee]
        var keys = [nodeKeys]
        var ends: [Height] = []
        // (key index, weight), in committee order.
        var members = setup.committee.members.map { (keyIndex[$0.publicKey]!, $0.weight) }
        for (step, change) in changes.enumerated() {
            var nodeKeysNow = keys.last!
            switch change {
            case .join:
                members.append((joiner!, 1))
            case .leave:
                // A Byzantine member if there is one (it keeps running, as a
                // follower), else the newest member.
                let leaving = members.lastIndex { byzantineKeys.contains($0.0) } ?? members.count - 1
                members.remove(at: leaving)
            case .reweight:
                members = members.enumerated().map { position, member in
                    (member.0, byzantineKeys.contains(member.0) ? 1 : UInt64(2 + position % 2))
                }
            case .rotate:
                let (from, to, node) = rotation!
                if let position = members.firstIndex(where: { $0.0 == from }) { members[position].0 = to }
                nodeKeysNow[node] = to
            }
            let committee = try! committees.last!.following(
                members: members.map { Committee.Member(publicKey: setup.keys[$0.0].publicKey, weight: $0.1) })
            let byzantineWeight = members.filter { byzantineKeys.contains($0.0) }.reduce(0) { $0 + $1.1 }
            precondition(byzantineWeight * 3 < committee.totalWeight, "epoch \(committee.epoch): Byzantine weight must stay below a third")
            committees.append(committee)
            keys.append(nodeKeysNow)
            ends.append(Self.firstEnd + Height(step) * Self.spacing)
        }
        self.committees = committees
        self.endHeights = ends
        self.keys = keys
    }

    var lastEpoch: Epoch { Epoch(committees.count - 1) }

    /// The height epoch `epoch` ends at; nil for the last epoch, which does not end.
    func endHeight(of epoch: Epoch) -> Height? {
        epoch < Epoch(endHeights.count) ? endHeights[Int(epoch)] : nil
    }

    /// The epoch a finalized block at `height` belongs to.
    func epoch(ofHeight height: Height) -> Epoch {
        Epoch(endHeights.firstIndex { height <= $0 } ?? endHeights.count)
    }
}
