import Foundation

/// Reads a child process's pipe on a thread of its own until end of file,
/// handing each chunk to `consume`.
///
/// Why not `FileHandle.readabilityHandler`: it registers a dispatch read
/// source on the descriptor, and clearing it at end of file while the handle
/// closes races libdispatch's manager thread — a CI run crashed inside
/// `_dispatch_event_loop_drain` while node processes came and went. A
/// blocking read on a thread of its own touches no dispatch source, and ends
/// with the pipe (the child exits, its end closes).
///
/// Bound: one thread per pipe, for the child's lifetime.
public enum PipeReader {
    public static func start(_ handle: FileHandle, name: String = "baton.pipe-reader",
                             consume: @escaping @Sendable (Data) -> Void) {
        let thread = Thread {
            while true {
                let data = handle.availableData
                if data.isEmpty { return }  // end of file
                consume(data)
            }
        }
        thread.name = name
        thread.start()
    }
}
