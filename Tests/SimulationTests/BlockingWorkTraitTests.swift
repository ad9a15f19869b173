import Foundation
import BatonTestSupport
import Testing

/// `.blockingWork` really takes a suite's tests off the cooperative pool:
/// the suites of this target run simulations synchronously and count on it.
@Suite(.blockingWork) struct BlockingWorkTraitTests {
    @Test func aSynchronousTestRunsOnAThreadOfItsOwn() {
        #expect(onABlockingWorkThread())
    }

    @Test func anAsynchronousTestResumesThereAfterASuspension() async throws {
        try await Task.sleep(for: .milliseconds(1))
        #expect(onABlockingWorkThread())
    }

    /// A synchronous function: `Thread.current` is not for async contexts.
    func onABlockingWorkThread() -> Bool { BlockingWorkExecutor.isCurrentThread }
}
