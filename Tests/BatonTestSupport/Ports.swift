#if canImport(Glibc)
import Glibc
#endif

/// Loopback ports for test clusters of real processes.
public enum Ports {
    /// A first port for a test cluster whose ports span `base ..< base + span`.
    /// Drawn below Linux's ephemeral range (32768 and up): a listener there can
    /// collide with the source port of any outgoing connection on the machine —
    /// a node's API once failed to bind in CI that way. Each port of the span
    /// is checked bindable before the base is handed out.
    public static func freeBase(span: Int = 500) -> Int {
        while true {
            let base = 10_000 + 500 * Int.random(in: 0..<((32_000 - 10_000) / 500))
            if (base..<base + span).allSatisfy(isBindable) { return base }
        }
    }

    public static func isBindable(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = LoopbackSocket.address(host: "127.0.0.1", port: port)
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
    }
}
