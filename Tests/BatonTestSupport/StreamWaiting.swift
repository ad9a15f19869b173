/// Waits on an `AsyncStream` with a bound, so a missed element fails a test
/// instead of hanging the whole suite (an unbounded `next()` hung CI once).
///
/// `collect` sees each element in order and returns true when it has what it
/// waited for; the result says whether that happened within `seconds`. On a
/// timeout the stream is cancelled (an `AsyncStream` then ends for good).
public func consume<Element: Sendable>(_ stream: AsyncStream<Element>, within seconds: Double,
                                       until collect: @escaping @Sendable (Element) -> Bool) async -> Bool {
    await withTaskGroup(of: Bool.self) { group in
        group.addTask {
            for await element in stream where collect(element) { return true }
            return false
        }
        group.addTask {
            try? await Task.sleep(for: .milliseconds(Int(seconds * 1_000)))
            return false
        }
        let first = await group.next() ?? false
        group.cancelAll()
        return first
    }
}
