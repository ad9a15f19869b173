import Foundation

/// Runs blocking or CPU-bound test work (a simulation sweep, a process wait,
/// a compiler, a blocking socket read) on a thread of its own and awaits it.
/// Swift's cooperative pool has one thread per core — two here — and one
/// blocking call on it halves what every concurrent test gets; two stall
/// every test that waits on timers or the network (a transport's 5 s
/// handshake deadline fires before its handler can run, and the peer is
/// reported as timed out instead of malformed). Every blocking helper in this
/// target goes through here; the OS shares the cores, the pool stays free.
public func offThePool<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { continuation in
        let thread = Thread { continuation.resume(returning: work()) }
        thread.stackSize = 8 << 20
        thread.start()
    }
}

/// `offThePool` for work that throws: the error is rethrown to the awaiting task.
public func offThePoolThrowing<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await offThePool { Result { try work() } }.get()
}
