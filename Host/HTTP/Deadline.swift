import Synchronization

/// Races an answer against a deadline without cancelling it: for work that
/// cannot be interrupted (waiting for an actor held by a stuck plugin call).
enum Deadline {
    /// `work`'s result if it comes within `limit`, else `fallback()`'s. The
    /// work goes on and its late result is dropped (bounded by its caller:
    /// one per open HTTP connection).
    static func first<T: Sendable>(within limit: Duration, _ work: @escaping @Sendable () async -> T,
                                   orElse fallback: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { (continuation: CheckedContinuation<T, Never>) in
            let answered = Mutex(false)
            let answer: @Sendable (T) -> Void = { value in
                let first = answered.withLock { done in
                    defer { done = true }
                    return !done
                }
                if first { continuation.resume(returning: value) }
            }
            let timer = Task {
                try? await Task.sleep(for: limit)
                if !Task.isCancelled { answer(fallback()) }
            }
            Task {
                answer(await work())
                timer.cancel()
            }
        }
    }
}
