import BatonCrypto
import Consensus
import Node
@testable import PluginHost
import Testing

@Suite struct InputQueueTests {
    let peer = PrivateKey.generate().publicKey
    let vote = Message.vote(Vote(view: 1, blockID: .zero, signer: 0, signature: Signature([UInt8](repeating: 1, count: 64))!))

    /// Under overload peer messages are dropped and counted; timers and the
    /// app's completions are never dropped, whatever is queued.
    @Test func peerMessagesBeyondTheBoundAreDroppedAndCountedOthersNever() async {
        let queue = InputQueue(peerMessagesMax: 3)
        for _ in 0..<5 { queue.deliver(from: peer, vote) }
        queue.fire(.viewTimeout(7))
        queue.complete(PendingCompletion(token: PendingToken(1), call: .validateBlock, outcome: .valid))
        #expect(queue.droppedPeerMessages == 2)
        #expect(queue.count == 5)
        var kinds: [String] = []
        for _ in 0..<5 {
            switch await queue.next() {
            case .message: kinds.append("message")
            case .timer: kinds.append("timer")
            case .completion: kinds.append("completion")
            case .mempoolFilled: kinds.append("mempool")
            case .pendingDeadline: kinds.append("deadline")
            case nil: kinds.append("end")
            }
        }
        #expect(kinds == ["message", "message", "message", "timer", "completion"])
        // Room again once the loop took them.
        queue.deliver(from: peer, vote)
        #expect(queue.count == 1 && queue.droppedPeerMessages == 2)
    }

    @Test func mempoolWakeUpsAreCoalesced() {
        let queue = InputQueue()
        for _ in 0..<100 { queue.mempoolFilled() }
        #expect(queue.count == 1)
    }

    /// A waiting loop gets what is pushed; finishing (shutdown) or cancelling
    /// its task wakes it with nil.
    @Test func aWaitingConsumerIsWokenByAPushAndEndedByFinishOrCancellation() async {
        let queue = InputQueue()
        let waiter = Task { await queue.next() }
        queue.fire(.idleProposal(3))
        guard case .timer(.idleProposal(3)) = await waiter.value else {
            Issue.record("the waiting consumer did not get the timer")
            return
        }
        let ended = Task { await queue.next() }
        queue.finish()
        #expect(await ended.value == nil)
        queue.fire(.idleProposal(4))
        #expect(queue.count == 0)

        let other = InputQueue()
        let cancelled = Task { await other.next() }
        cancelled.cancel()
        #expect(await cancelled.value == nil)
    }
}
