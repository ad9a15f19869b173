/// EP-5 (liveness only) as a decorator: in the first views of an epoch,
/// leaders are drawn among the members that were in the committee before (a
/// new member may still be recovering its safety data, SR-R, or connecting:
/// as a leader it would cost a view timeout); after the grace, the base
/// election decides.
public struct NewcomerGraceElection<Base: ProposerElection>: ProposerElection {
    var base: Base
    let committee: Committee
    let grace: Committee.NewcomerGrace

    public init(base: Base, committee: Committee, grace: Committee.NewcomerGrace) {
        self.base = base
        self.committee = committee
        self.grace = grace
    }

    /// `base` itself when the committee has no grace (epoch 0, or no newcomer).
    static func wrapping(_ base: Base, committee: Committee) -> any ProposerElection {
        guard let grace = committee.newcomerGrace else { return base }
        return NewcomerGraceElection(base: base, committee: committee, grace: grace)
    }

    public func leader(of view: View) -> ValidatorIndex {
        view <= grace.throughView ? committee.incumbentLeader(of: view, grace: grace) : base.leader(of: view)
    }

    public mutating func learn(_ record: LeaderRecord) { base.learn(record) }
    public var standings: [LeaderStanding] { base.standings }
    public func anchor(of view: View) -> (height: Height, view: View)? {
        view <= grace.throughView ? nil : base.anchor(of: view)
    }
}
