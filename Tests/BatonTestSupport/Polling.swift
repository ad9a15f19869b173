import Foundation

/// Waits, at most `seconds`, until `condition` holds; re-checks every
/// `intervalMs`. For state that changes in another process or on another
/// task with no event to await (a node's height, a log line). Returns
/// whether the condition held.
public func waitUntil(seconds: Double, intervalMs: Int = 50, _ condition: () async -> Bool) async -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if await condition() { return true }
        try? await Task.sleep(for: .milliseconds(intervalMs))
    }
    return await condition()
}
