#if canImport(Glibc)
import Glibc
#endif

/// A plain blocking TCP socket: what a misbehaving peer, or a client that
/// reads an event stream byte by byte, would use. Every call that waits for
/// the peer is `async` and blocks a thread of its own (`offThePool`), never
/// one of the cooperative pool's two: the server under test needs them to
/// answer. Sendable: the descriptor never changes, and each call is one
/// system call on it.
public final class LoopbackSocket: @unchecked Sendable {
    public struct ConnectFailed: Error, CustomStringConvertible {
        public let description: String
    }

    let fd: Int32

    /// Connects to `host:port`; reads give up after `receiveTimeoutSeconds`.
    public init(host: String = "127.0.0.1", port: Int, receiveTimeoutSeconds: Int = 10) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw ConnectFailed(description: "socket() failed: errno \(errno)") }  // deinit's close(-1) is harmless
        var timeout = timeval(tv_sec: receiveTimeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = Self.address(host: host, port: port)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        // No close here: a throwing init of a class runs deinit, which closes
        // `fd` — closing it twice could close a descriptor another thread reopened.
        guard connected == 0 else { throw ConnectFailed(description: "connect to \(host):\(port) failed: errno \(errno)") }
    }

    deinit { close(fd) }

    public func send(_ bytes: [UInt8]) {
        _ = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    }

    /// Up to `max` bytes: nil on an error or timeout, empty at end of stream.
    public func receive(max: Int = 4_096) async -> [UInt8]? {
        await offThePool { self.receiveBlocking(max: max) }
    }

    /// `receive`, blocking the calling thread (for a reader on a thread of its own).
    func receiveBlocking(max: Int = 4_096) -> [UInt8]? {
        var chunk = [UInt8](repeating: 0, count: max)
        let count = recv(fd, &chunk, max, 0)
        return count < 0 ? nil : Array(chunk[0..<count])
    }

    /// Reads until the peer closes (end of stream or reset: true) or the
    /// receive timeout passes with the connection still open (false).
    public func closedByPeer() async -> Bool {
        await offThePool { self.closedByPeerBlocking() }
    }

    private func closedByPeerBlocking() -> Bool {
        var sink = [UInt8](repeating: 0, count: 4_096)
        while true {
            let n = recv(fd, &sink, sink.count, 0)
            if n == 0 { return true }
            if n < 0 { return errno == ECONNRESET }
        }
    }

    /// Whether the peer has closed within `milliseconds` (what it sent
    /// first — a hello, keep-alives — is read and dropped).
    public func closedByPeerWithin(milliseconds: Int = 100) async -> Bool {
        await offThePool { self.closedByPeerBlocking(within: milliseconds) }
    }

    private func closedByPeerBlocking(within milliseconds: Int) -> Bool {
        var sink = [UInt8](repeating: 0, count: 4_096)
        var waited = 0
        while true {
            var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let step = min(max(milliseconds - waited, 0), 10)
            if poll(&descriptor, 1, Int32(step)) > 0 {
                let n = recv(fd, &sink, sink.count, Int32(MSG_DONTWAIT))
                if n == 0 || (n < 0 && errno == ECONNRESET) { return true }
                if n > 0 { continue }
            }
            waited += step
            if waited >= milliseconds { return false }
        }
    }

    static func address(host: String, port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr(host)
        return address
    }
}
