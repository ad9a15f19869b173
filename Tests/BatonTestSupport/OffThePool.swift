import Foundation

/// Runs CPU-bound test work (a simulation sweep) on a thread of its own and
/// awaits it. Swift's cooperative pool has one thread per core — two here —
/// and a sweep holding both for most of a minute starves every concurrent
/// test that waits on timers or the network (handshake timeouts fire before
/// their handlers can run). The OS shares the cores; the pool stays free.
public func offThePool<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { continuation in
        let thread = Thread { continuation.resume(returning: work()) }
        thread.stackSize = 8 << 20
        thread.start()
    }
}
