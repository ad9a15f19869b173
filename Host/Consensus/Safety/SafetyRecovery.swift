/// SR-R, the recovery rule: a member that starts without its safety data (a
/// new data directory, or one that lost it) must not sign again in a view it
/// may have signed in before. It cannot know those views, so it asks.
///
/// **The rule.** While recovering the member signs nothing — no vote, no
/// timeout, no proposal. It asks every peer for the highest certificate it
/// holds (`StatusRequest`, repeated every `retryMs`) and takes answers only
/// to this run's request, only from other voting members, only with valid
/// certificates. Once members other than itself holding a quorum of weight
/// have answered, with V the highest certified view among the answers, it
/// signs nothing in any view up to V + 2 (`highestVotedView` and
/// `highestTimeoutView` become V + 2), adopts the highest certificates
/// answered, and resumes.
///
/// **Why it is safe.** Let C be the highest view certified anywhere when the
/// member lost its data. It signed in no view above C + 1: to be in a view
/// it needs the certificate of the view before. C's certificate has signers
/// of weight at least Q (a quorum), so at least Q − w(self) without the
/// member; the answers come from others of weight at least Q; all of them
/// lie among the others (weight T − w(self)), so the two sets share more than
/// 2Q − T > T/3 of weight: an honest member H that signed in view C. H's
/// answer was sent after the request (the nonce), so after the loss, when H
/// was in view C or later — which it entered with a certificate for C − 1
/// or later, and that is in its answer. So V ≥ C − 1, and every view the
/// member may have signed in is at most C + 1 ≤ V + 2: it refuses up to V + 2.
///
/// **Its highest QC.** Timeouts carry the signer's highest QC, and TCs are
/// safe because an honest signer never reports one lower than a QC it has
/// held (a committed block's QC is held by a quorum's honest part). The
/// member lost its own, so it adopts the highest QC and TC answered: by the
/// same intersection, an honest answerer voted for the block after any
/// committed one and holds its QC.
///
/// **The genesis exception.** A chain launched with every member new would
/// have every member refuse views 1 and 2, timeouts included: nobody could
/// leave view 1. When no answerer holds a certificate beyond genesis (V = 0)
/// the member refuses only *votes* (and proposals) — in view 1, or through
/// view 2 if an answerer has signed anything (then a certificate for view 1
/// may have existed; if none has, its quorum of signers would share an
/// honest member with the answerers, who would have signed) — and may time
/// out from view 1. Its timeouts there carry the genesis QC; one it signed
/// before in view 1 carried the same. In view 2 an earlier one may have
/// carried view 1's QC: then the member signs a second, different timeout
/// there — evidence against it, not a safety risk, since it votes in
/// neither view and nothing can be final before view 2 ends. A new chain
/// times out in view 1 (and perhaps 2) once, then runs. The vote floor is
/// kept apart from the views voted in (`SafetyData.votesRefusedThrough`)
/// precisely so that these timeouts stay allowed.
///
/// A committee in which the other members cannot form a quorum (a single
/// member) cannot apply the rule; such a member resumes at once.
public struct SafetyRecovery: Hashable, Sendable {
    /// The highest certified view each other member reported.
    public private(set) var reports: [ValidatorIndex: View] = [:]
    /// Whether any answerer has signed anything (the genesis exception).
    public private(set) var anySigned = false
    /// The best certificates answered so far, adopted on resuming (see below).
    public internal(set) var highestQC: QuorumCertificate?
    public internal(set) var highestTC: TimeoutCertificate?
    /// This run's request (the core's start time); set by `.start`.
    public internal(set) var nonce: UInt64
    public static let retryMs: UInt64 = 500

    public init(nonce: UInt64) { self.nonce = nonce }

    /// Keeps `member`'s answer (the highest, if it answers twice).
    public mutating func record(_ member: ValidatorIndex, certifiedView: View, signedThrough: View) {
        reports[member] = max(reports[member] ?? 0, certifiedView)
        if signedThrough > 0 { anySigned = true }
    }

    /// Keeps a validated answer: its views, and its certificates if they are the highest so far.
    mutating func record(_ member: ValidatorIndex, _ report: StatusReport) {
        record(member, certifiedView: report.certifiedView, signedThrough: report.signedThrough)
        if report.highQC.view >= highestQC?.view ?? 0 { highestQC = report.highQC }
        if let tc = report.lastViewTC, tc.view > highestTC?.view ?? 0 { highestTC = tc }
    }

    /// The views up to which nothing may be signed, once the answers carry
    /// a quorum of weight; nil while they do not.
    public func floor(in committee: Committee) -> (votes: View, timeouts: View)? {
        let weight = reports.keys.reduce(UInt64(0)) { $0 + committee.weight(of: $1) }
        guard committee.isQuorum(weight), let highest = reports.values.max() else { return nil }
        // Genesis exception: a timeout in view 1 or 2 then carries the genesis QC.
        if highest == 0 { return (anySigned ? 2 : 1, 0) }
        return (highest + 2, highest + 2)
    }

    /// Whether the members other than `me` can answer with a quorum at all.
    public static func possible(in committee: Committee, me: ValidatorIndex) -> Bool {
        committee.isQuorum(committee.totalWeight - committee.weight(of: me))
    }
}
