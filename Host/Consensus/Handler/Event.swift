import BatonCrypto

/// Everything that can happen to a consensus core. Time enters only here, as
/// `nowMs` (milliseconds, from whatever clock the shell or simulator runs).
public enum Event: Sendable {
    /// Begin: enter the current view, arm its timer, propose if leader.
    case start(nowMs: UInt64)
    case proposal(Proposal, nowMs: UInt64)
    case vote(Vote, nowMs: UInt64)
    case timeout(TimeoutObject, nowMs: UInt64)
    case timerFired(Timer, nowMs: UInt64)
    /// The app answered `Effect.produceBlock` for `view`; `included` are the
    /// hashes of the mempool transactions the payload carries.
    /// `hostPayload`: host-level transactions the node adds beside the app's
    /// payload (see `Block.hostPayload`).
    case payloadProduced(view: View, payload: [UInt8], nowMs: UInt64, included: [Bytes32] = [], hostPayload: [UInt8] = [])
    /// The app answered `Effect.validateBlock`.
    case payloadValidated(blockID: BlockID, valid: Bool, nowMs: UInt64)
    /// Block sync delivered blocks asked for by `Effect.fetchBlock`.
    case blocksFetched([Block], nowMs: UInt64)
    /// Block sync delivered a QC on its own: the certificate of the last
    /// block of an epoch's chain (EP-4), which no later block of that epoch
    /// carries. Validated like any QC before it counts.
    case certificateFetched(QuorumCertificate, nowMs: UInt64)
    /// The shell saw a peer in a later epoch (EP-4): this core's chain has
    /// ended elsewhere, and nothing that peer sends will validate here, so
    /// catch up by height — `hint` is asked first.
    case behind(hint: ValidatorIndex, nowMs: UInt64)
    /// The mempool went from empty to non-empty or back (a leader with work
    /// proposes at once; an idle one waits `idleBlockIntervalMs`).
    case mempoolChanged(nonEmpty: Bool, nowMs: UInt64)
    /// The app committed up to `height`, reaching `stateHash`; proposals
    /// carry it so divergent apps show.
    case stateExecuted(height: Height, stateHash: Bytes32)
    /// SR-R: a member asks for this node's highest certificates (`from`: the
    /// sender the transport authenticated).
    case statusRequest(StatusRequest, from: ValidatorIndex, nowMs: UInt64)
    /// SR-R: a member's answer to this node's request.
    case statusReport(StatusReport, from: ValidatorIndex, nowMs: UInt64)
}

/// Timers the core asks the shell to arm. A timer for a view the node has
/// left is ignored when it fires, so the shell need not cancel anything.
public enum Timer: Hashable, Sendable {
    case viewTimeout(View)
    case idleProposal(View)
    /// SR-R: ask for the members' certificates again while recovering.
    case statusRetry
}
