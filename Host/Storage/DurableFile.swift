#if canImport(Glibc)
import Glibc
#endif

/// Small files written so that a crash or power loss leaves the old content
/// or the new, never a mix: write a temporary file, fsync it, rename it over,
/// fsync the folder.
enum DurableFile {
    /// The whole file, or nil with `errno` set.
    static func contents(of path: String) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let n = read(fd, &chunk, chunk.count)
            if n < 0 { return nil }
            if n == 0 { return bytes }
            bytes += chunk[0..<n]
        }
    }

    static func replace(_ path: String, with bytes: [UInt8]) throws(StorageError) {
        let temporary = path + ".tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw failure(temporary, "create") }
        let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        let synced = fsync(fd) == 0
        close(fd)
        guard written == bytes.count, synced else { throw failure(temporary, "write") }
        guard rename(temporary, path) == 0 else { throw failure(path, "rename into") }
        syncFolder(of: path)
    }

    /// Makes a rename or a file creation in the folder durable.
    static func syncFolder(of path: String) {
        let folder = path.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
        let fd = open(folder.isEmpty ? "." : folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return }
        _ = fsync(fd)
        close(fd)
    }

    static func failure(_ path: String, _ what: String) -> StorageError {
        StorageError(.io, path: path, "cannot \(what) \(path): \(String(cString: strerror(errno)))")
    }
}
