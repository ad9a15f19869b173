import Crypto
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
