import BatonCrypto
import Consensus
import DequeModule
import PluginHost
import Synchronization

/// Everything that reaches the node's loop from outside it, in arrival
/// order: peers' messages, timers, the app's late answers, and the mempool's
/// "not empty any more". The loop is its only consumer.
///
/// Bound and policy, per kind:
/// - peer messages: at most `peerMessagesMax` queued. Beyond that a message
///   is dropped and counted (`droppedPeerMessages`, exported as
///   `baton_input_dropped_peer_messages`): consensus tolerates loss, and a
///   flooding peer must not grow the node's memory.
/// - timers, app completions and deadlines, and mempool wake-ups: never dropped — losing
///   one could stall a view. They are bounded by construction: timers by the
///   core's schedule (a view timer and an idle-proposal timer per view),
///   completions and deadlines by the plugin's `pendingAnswersMax`, and wake-ups to one
///   queued at a time.
public final class InputQueue: Sendable {
    public enum Input: Sendable {
        case message(from: PublicKey, Message)
        case timer(Consensus.Timer)
        case completion(PendingCompletion)
        /// The mempool went from empty to non-empty (a client submitted).
        case mempoolFilled
        /// A pending app answer's deadline passed (bounded like completions).
        case pendingDeadline(PendingToken)
    }

    public static let peerMessagesMaxDefault = 16_384

    private struct State {
        var items = Deque<Input>()
        var peerMessages = 0
        var wakeUpQueued = false
        var waiter: CheckedContinuation<Input?, Never>?
        var finished = false
        var droppedPeerMessages = 0
    }

    public let peerMessagesMax: Int
    private let state = Mutex(State())

    public init(peerMessagesMax: Int = InputQueue.peerMessagesMaxDefault) {
        precondition(peerMessagesMax > 0, "the queue must hold at least one peer message")
        self.peerMessagesMax = peerMessagesMax
    }

    /// A peer's message; dropped (and counted) when `peerMessagesMax` are queued.
    public func deliver(from peer: PublicKey, _ message: Message) { push(.message(from: peer, message)) }

    public func fire(_ timer: Consensus.Timer) { push(.timer(timer)) }

    public func complete(_ completion: PendingCompletion) { push(.completion(completion)) }

    public func deadline(_ token: PendingToken) { push(.pendingDeadline(token)) }

    /// Coalesced: one queued wake-up stands for any number of submissions.
    public func mempoolFilled() { push(.mempoolFilled) }

    public var droppedPeerMessages: Int { state.withLock { $0.droppedPeerMessages } }
    public var count: Int { state.withLock { $0.items.count } }

    func push(_ input: Input) {
        let handOver: (CheckedContinuation<Input?, Never>, Input?)? = state.withLock { state in
            guard !state.finished else { return nil }
            switch input {
            case .message:
                guard state.peerMessages < peerMessagesMax else {
                    state.droppedPeerMessages += 1
                    return nil
                }
                state.peerMessages += 1
            case .mempoolFilled:
                guard !state.wakeUpQueued else { return nil }
                state.wakeUpQueued = true
            case .timer, .completion, .pendingDeadline: break
            }
            state.items.append(input)
            guard let waiter = state.waiter else { return nil }
            state.waiter = nil
            return (waiter, Self.take(&state))
        }
        // Resumed outside the lock.
        if let (waiter, input) = handOver { waiter.resume(returning: input) }
    }

    /// The next input, waiting for one; nil once finished (or the task is cancelled).
    ///
    /// Runs on the caller's executor (`isolation`): a plain nonisolated async
    /// function would hop to the global pool and back for every input — two
    /// thread wake-ups per input the loop takes, profiled at batch 1.
    public func next(isolation: isolated (any Actor)? = #isolation) async -> Input? {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Input?, Never>) in
                let ready: Input?? = state.withLock { state in
                    if let input = Self.take(&state) { return .some(input) }
                    if state.finished { return .some(nil) }
                    precondition(state.waiter == nil, "InputQueue has a single consumer")
                    state.waiter = continuation
                    return .none
                }
                if let ready { continuation.resume(returning: ready) }
            }
        } onCancel: {
            finish()
        }
    }

    /// Ends the queue: the waiting consumer gets nil, later pushes are ignored.
    public func finish() {
        let waiter = state.withLock { state in
            state.finished = true
            state.items.removeAll()
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(returning: nil)
    }

    private static func take(_ state: inout State) -> Input? {
        guard let input = state.items.popFirst() else { return nil }
        switch input {
        case .message: state.peerMessages -= 1
        case .mempoolFilled: state.wakeUpQueued = false
        case .timer, .completion, .pendingDeadline: break
        }
        return input
    }
}
