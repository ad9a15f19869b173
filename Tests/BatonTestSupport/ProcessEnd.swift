import Foundation

/// Waiting for a child process to end, by its exit (an event), never by
/// polling `isRunning`.
public enum ProcessEnd {
    /// Blocks until `process` exits or `seconds` pass, then SIGKILLs it if it
    /// is still running and reaps it. Whether it exited by itself. Blocking:
    /// call it from a thread of its own (`offThePool`, `Thread`).
    @discardableResult
    public static func wait(_ process: Process, killingAfter seconds: Double) -> Bool {
        let exited = DispatchSemaphore(value: 0)
        Thread {
            process.waitUntilExit()
            exited.signal()
        }.start()
        guard exited.wait(timeout: .now() + seconds) == .timedOut else { return true }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        exited.wait()
        return false
    }
}
