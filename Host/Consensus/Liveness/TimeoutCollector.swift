/// The timeouts of one view, at every node (timeouts are broadcast).
///
/// Each signer's first timeout counts. Crossing 1/3 of the weight is reported
/// once (at least one honest member gave up: join it, Bracha-style, so the
/// view changes fast); crossing 2/3 builds the TC exactly once, with the
/// highest QC among the timeouts and each signer's QC view.
public struct TimeoutCollector: Sendable {
    public enum Outcome: Hashable, Sendable {
        case added
        case duplicate
        case invalid(ValidationError)
        /// Weight first exceeded 1/3.
        case partial
        case certified(TimeoutCertificate)
    }

    public let view: View
    private var timeouts: [ValidatorIndex: TimeoutObject] = [:]
    private var weight: UInt64 = 0
    private var partialReported = false
    public private(set) var tc: TimeoutCertificate?

    public init(view: View) { self.view = view }

    public var count: Int { timeouts.count }

    func timeoutsContain(_ signer: ValidatorIndex) -> Bool { timeouts[signer] != nil }
    func timeout(of signer: ValidatorIndex) -> TimeoutObject? { timeouts[signer] }
    /// Signers already reported for a double timeout in this view (once each).
    var doubleTimeoutsReported: Set<ValidatorIndex> = []

    public mutating func add(_ timeout: TimeoutObject, committee: Committee,
                             verify: ((TimeoutObject) throws(ValidationError) -> Void)?) -> Outcome {
        precondition(timeout.view == view, "timeout routed to the wrong view's collector")
        guard timeouts[timeout.signer] == nil else { return .duplicate }
        do throws(ValidationError) { try verify?(timeout) } catch { return .invalid(error) }
        timeouts[timeout.signer] = timeout
        weight += committee.weight(of: timeout.signer)
        if tc == nil, committee.isQuorum(weight) {
            let signers = SignerSet(capacity: committee.count, members: timeouts.keys)
            let ordered = signers.map { timeouts[$0]! }
            let highQC = ordered.map(\.highQC).max { $0.view < $1.view }!
            let built = TimeoutCertificate(view: view, highQC: highQC, signers: signers,
                                           highQCViews: ordered.map(\.highQC.view), signatures: ordered.map(\.signature))
            tc = built
            return .certified(built)
        }
        if !partialReported, committee.exceedsFaultyWeight(weight) {
            partialReported = true
            return .partial
        }
        return .added
    }
}
