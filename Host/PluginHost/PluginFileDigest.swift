import Crypto
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// SHA-256 of a plugin's `.so` file, as lowercase hex: what a genesis pins
/// (`pluginSHA256`) and `baton plugins inspect` prints. The file is read in
/// 1 MiB pieces, so a large plugin costs no more memory than a small one.
public enum PluginFileDigest {
    public static func sha256(path: String) -> String? {
        guard let file = fopen(path, "rb") else { return nil }
        defer { fclose(file) }
        var hasher = SHA256()
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let count = fread(&chunk, 1, chunk.count, file)
            if count > 0 { hasher.update(data: chunk[0..<count]) }
            if count < chunk.count { break }
        }
        guard ferror(file) == 0 else { return nil }
        return hasher.finalize().lowercaseHex
    }
}

/// Digests of plugin files, remembered by path, size and modification time:
/// a node preparing an upgrade looks through its plugin folders once a second
/// until the plan's file is there, and must not re-read every `.so` on its
/// loop each time. A file that changes gets a new size or time and is read
/// again. At most `entriesMax` paths; past that it starts over.
public final class PluginDigestCache: Sendable {
    private struct Key: Hashable { let path: String, size: Int64, modified: Int, modifiedNanoseconds: Int }
    private let entries = Mutex<[Key: String]>([:])
    public static let entriesMax = 256

    public init() {}

    /// `PluginFileDigest.sha256(path:)`, read only when the file changed.
    public func sha256(path: String) -> String? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        let key = Key(path: path, size: Int64(info.st_size), modified: info.st_mtim.tv_sec, modifiedNanoseconds: info.st_mtim.tv_nsec)
        if let known = entries.withLock({ $0[key] }) { return known }
        guard let digest = PluginFileDigest.sha256(path: path) else { return nil }
        entries.withLock { cache in
            if cache.count >= Self.entriesMax { cache.removeAll() }
            cache[key] = digest
        }
        return digest
    }
}
