/// What a core asks its shell to do, in order.
///
/// **Persist before speech**: the shell must execute effects in the order
/// given and complete each `persistSafetyData` durably (a synchronous write)
/// before executing any effect after it. Every vote, timeout and proposal the
/// core signs is preceded in the same list by the `persistSafetyData` that
/// records it, so a crash can never let the node sign twice in one view.
public enum Effect: Hashable, Sendable {
    case persistSafetyData(SafetyData)
    /// Lazily: may be lost in a crash and re-fetched.
    case persistLiveness(LivenessData)
    /// Lazily: a block entered the tree of unfinalized blocks.
    case persistBlock(Block)
    case broadcast(Message)
    case send(Message, to: ValidatorIndex)
    case scheduleTimer(Timer, atMs: UInt64)
    /// Ask the app for a payload; answer with `Event.payloadProduced`.
    case produceBlock(ProposalContext)
    /// Ask the app whether `block`'s payload is valid on top of `pendingAncestors`
    /// (unfinalized, oldest first); answer with `Event.payloadValidated`.
    case validateBlock(Block, pendingAncestors: [Block])
    /// Blocks became final: commit them to the app, in order.
    case finalized(Forks.Finalization)
    /// A QC newer than any this node held: the first time it sees `BlockID`
    /// certified. For measurement only (the node's stage times); nothing
    /// needs to act on it.
    case certified(BlockID, view: View)
    /// Ask a peer for a missing block (and some of its ancestors).
    case fetchBlock(BlockID, from: ValidatorIndex)
    /// Ask a peer for its finalized blocks from `fromHeight` on, at most
    /// `count`, in height order (catch-up of a node far behind). The answer
    /// arrives as `Event.blocksFetched`; nothing in it is trusted.
    case fetchFinalized(fromHeight: Height, count: UInt16, from: ValidatorIndex)
    case evidence(Evidence)
    /// More than a third of the weight is Byzantine; stop and alert.
    case safetyFault(String)
    /// The core cannot go on without breaking one of its own rules (a bug,
    /// or state the store gave back wrong): the shell stops the node with
    /// this reason and exit status 1. Never expected; never a peer's doing.
    case halt(HaltReason)
    case enteredView(View, cause: Pacemaker.Cause)
    /// SR-R: safety data recovered; nothing is signed in views up to this one.
    case safetyRecovered(refusedThrough: View)
    /// An input was refused; for logs and metrics.
    case dropped(DropReason)
}

/// What a leader needs to ask its app for a payload.
public struct ProposalContext: Hashable, Sendable {
    public let view: View
    public let height: Height
    public let parentID: BlockID
    public let pendingAncestors: [Block]
}

/// Why the core stopped its node (see `Effect.halt`).
public enum HaltReason: Hashable, Sendable, CustomStringConvertible {
    /// SafetyRules refused to sign the leader's own proposal for a reason
    /// the leader's checks before asking the app should have excluded.
    case ownProposalRefused(SafetyRules.Refusal)
    /// This node's app reached another state than a quorum certified (AA-3):
    /// the app, not consensus, is at fault — a non-deterministic plugin, a
    /// different build, or damaged app state.
    case appDiverged(AppAgreement.Mismatch)

    public var description: String {
        switch self {
        case .ownProposalRefused(let refusal): "safety rules refused to sign this node's own proposal: \(refusal)"
        case .appDiverged(let m):
            "the app diverged at height \(m.height): this node's state hash \(m.ownHash.hex), the quorum's \(m.otherHash.hex) (certified with block \(m.blockID.short))"
        }
    }
}

/// Why an input was dropped. Expected and benign, every one, but for
/// `appStateDisagrees` (see there).
public enum DropReason: Hashable, Sendable {
    case invalid(ValidationError)
    case stale(View)
    case tooFarAhead(View, current: View)
    case notForMe(View)
    case unconnectable(Forks.AddError)
    case cacheFull
    case unexpectedBlock(BlockID)
    case refusedBySafetyRules(SafetyRules.Refusal)
    /// AA-1: the block's executed state hash is not this node's app's.
    /// Not benign for the app: if every proposal is refused so, the apps disagree.
    case appStateDisagrees(AppAgreement.Mismatch)
    /// AA-1: this node's app cannot say (below the retained window, or too
    /// many votes already wait for it); no vote.
    case appStateUnknown(View, executedHeight: Height)
}

/// The pacemaker's state, written lazily so a restart resumes near the view it left.
public struct LivenessData: Hashable, Sendable {
    public let currentView: View
    public let highestQC: QuorumCertificate
    public let lastViewTC: TimeoutCertificate?

    public init(currentView: View, highestQC: QuorumCertificate, lastViewTC: TimeoutCertificate?) {
        self.currentView = currentView
        self.highestQC = highestQC
        self.lastViewTC = lastViewTC
    }
}

extension LivenessData: WireCodable {
    public func encode(to w: inout WireWriter) {
        w.u64(currentView)
        highestQC.encode(to: &w)
        w.bool(lastViewTC != nil)
        lastViewTC?.encode(to: &w)
    }

    public init(from r: inout WireReader) throws(WireDecodingError) {
        currentView = try r.u64("liveness.view")
        highestQC = try QuorumCertificate(from: &r)
        lastViewTC = try r.bool("liveness.hasTC") ? try TimeoutCertificate(from: &r) : nil
    }
}
