#if canImport(Glibc)
import Glibc
#endif

/// File descriptors are shared by consensus and the API: 19,950 idle API
/// connections once took a node to its 20,000-descriptor limit, and a
/// restarted peer could not reconnect. The budget keeps a reserve for what
/// consensus needs — peer connections, handshakes in progress, RocksDB's
/// files (`RocksDatabase.openFilesMax`), the plugin, logs — and gives the API
/// at most what is left.
public enum DescriptorBudget {
    /// Descriptors kept for everything but the API: RocksDB's bound, the
    /// transport's pending handshakes, and room for the rest.
    static func reserve(peers: Int, pendingHandshakes: Int, rocksDBFiles: Int) -> Int {
        rocksDBFiles + pendingHandshakes + 2 * peers + 256
    }

    /// Raises the soft limit to the hard one (the usual 1,024 default is
    /// too small for a node), then returns the API's connection cap: the
    /// requested one, or less when the limit cannot hold it with the reserve
    /// (`warning` says so, and what to change).
    public static func apiConnections(requested: Int, peers: Int, pendingHandshakes: Int,
                                      rocksDBFiles: Int) -> (connections: Int, warning: String?) {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return (requested, nil) }
        if limit.rlim_cur < limit.rlim_max {
            var raised = limit
            raised.rlim_cur = limit.rlim_max
            if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &raised) == 0 { limit = raised }
        }
        let available = Int(clamping: limit.rlim_cur)
        let reserve = reserve(peers: peers, pendingHandshakes: pendingHandshakes, rocksDBFiles: rocksDBFiles)
        guard available - reserve < requested else { return (requested, nil) }
        let granted = max(16, available - reserve)
        return (granted, "the open-file limit is \(available) and \(reserve) are kept for consensus and storage: the HTTP API takes at most \(granted) connections, not \(requested). Raise the limit (ulimit -n, or LimitNOFILE= in the systemd unit) to restore it")
    }
}
