/// DESIGN §2's leader rule: weighted-random from SHA-256(seed ‖ view), so
/// every node computes the same leader with no messages and no history; a
/// member's chance is its weight over the total.
public struct WeightedRandomElection: ProposerElection {
    let committee: Committee

    public init(committee: Committee) { self.committee = committee }

    public func leader(of view: View) -> ValidatorIndex { committee.stakeLeader(of: view) }
}
