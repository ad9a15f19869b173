#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// One end of the node–child socket: whole frames (u32 big-endian length,
/// then the bytes) written under a lock — the child's plugin threads send
/// completions while its main thread answers — and read by one thread.
final class PluginSocket: Sendable {
    let fd: Int32
    private let writing = Mutex(())

    init(fd: Int32) { self.fd = fd }

    /// The descriptor closes with the last reference (a reader thread may
    /// still be inside `read` after `close()`, which only shuts it down).
    deinit { Glibc.close(fd) }

    /// False when the other side is gone.
    @discardableResult
    func send(_ frame: [UInt8]) -> Bool {
        var length = UInt32(frame.count).bigEndian
        return writing.withLock { _ in
            withUnsafeBytes(of: &length) { writeAll($0) } && frame.withUnsafeBytes { writeAll($0) }
        }
    }

    /// The next frame, or nil at end of stream, on an error, or for a frame
    /// over `PluginWire.frameBytesMax` (a broken peer: the caller treats it as gone).
    func receive() -> [UInt8]? {
        var header = [UInt8](repeating: 0, count: 4)
        guard readAll(&header) else { return nil }
        let length = Int(header[0]) << 24 | Int(header[1]) << 16 | Int(header[2]) << 8 | Int(header[3])
        guard length <= PluginWire.frameBytesMax else { return nil }
        var frame = [UInt8](repeating: 0, count: length)
        return readAll(&frame) ? frame : nil
    }

    func close() { _ = Glibc.shutdown(fd, Int32(SHUT_RDWR)) }

    private func writeAll(_ bytes: UnsafeRawBufferPointer) -> Bool {
        var at = 0
        while at < bytes.count {
            let n = Glibc.send(fd, bytes.baseAddress! + at, bytes.count - at, Int32(MSG_NOSIGNAL))
            if n < 0, errno == EINTR { continue }
            guard n > 0 else { return false }
            at += n
        }
        return true
    }

    private func readAll(_ buffer: inout [UInt8]) -> Bool {
        let count = buffer.count
        return buffer.withUnsafeMutableBytes { raw in
            var at = 0
            while at < count {
                let n = Glibc.read(fd, raw.baseAddress! + at, count - at)
                if n < 0, errno == EINTR { continue }
                guard n > 0 else { return false }
                at += n
            }
            return true
        }
    }
}
