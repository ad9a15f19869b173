import BatonCrypto
import Consensus
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Reading a snapshot folder back: a chunk counts only if its size and
/// SHA-256 are the manifest's and its records decode; nothing is trusted
/// before that (a snapshot may come from a peer or a backup).
public enum SnapshotFolder {
    /// A kept snapshot: its folder and manifest.
    public struct Entry: Sendable {
        public let folder: String
        public let manifest: SnapshotManifest
    }

    /// `<folder>/<height, 20 digits>`: names sort as heights.
    public static func path(in folder: String, height: Height) -> String {
        let digits = String(height)
        return folder + "/" + String(repeating: "0", count: max(0, 20 - digits.count)) + digits
    }

    /// The complete snapshots in `folder` (those with a readable manifest), oldest first.
    public static func list(_ folder: String) -> [Entry] {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).filter { $0.allSatisfy(\.isNumber) }
        return names.sorted().compactMap { name in
            (try? manifest(of: folder + "/" + name)).map { Entry(folder: folder + "/" + name, manifest: $0) }
        }
    }

    /// Where chunk `index` of the snapshot in `folder` is.
    public static func chunkPath(_ folder: String, _ index: Int) -> String { SnapshotChunkWriter.chunkPath(folder, index) }

    /// Creates a folder (a snapshot arriving from peers).
    public static func create(_ folder: String) throws(StorageError) {
        do { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) } catch {
            throw StorageError(.io, path: folder, "cannot create the snapshot folder: \(error)")
        }
    }

    /// Writes a file of a snapshot arriving from peers, durably and atomically.
    public static func write(_ path: String, _ bytes: [UInt8]) throws(StorageError) {
        try DurableFile.replace(path, with: bytes)
    }

    /// Bytes `offset ..< offset + length` of a file, fewer at its end; nil if unreadable.
    public static func read(_ path: String, offset: UInt64, length: Int) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes = [UInt8](repeating: 0, count: length)
        let count = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress, length, off_t(offset)) }
        guard count >= 0 else { return nil }
        bytes.removeLast(length - count)
        return bytes
    }

    /// Removes a snapshot folder (its chunks, manifest and the folder); missing is fine.
    public static func remove(_ folder: String) {
        try? FileManager.default.removeItem(atPath: folder)
    }

    /// The manifest, once every chunk checked out.
    public static func verify(_ folder: String) throws(StorageError) -> SnapshotManifest {
        let manifest = try manifest(of: folder)
        for index in manifest.chunkHashes.indices { _ = try chunk(index, of: manifest, in: folder) }
        return manifest
    }

    public static func manifest(of folder: String) throws(StorageError) -> SnapshotManifest {
        let path = folder + "/manifest"
        // Never read more than a manifest can be (a snapshot may come from anyone).
        if let size = fileSize(path), size > manifestBytesMax {
            throw StorageError(.corrupted, path: path, "the snapshot manifest is \(size) bytes, more than any manifest (\(manifestBytesMax))")
        }
        guard let bytes = DurableFile.contents(of: path) else {
            throw StorageError(.io, path: path, "no snapshot manifest at \(path): an interrupted snapshot, or not one")
        }
        do { return try SnapshotManifest.decode(bytes) } catch {
            throw StorageError(.corrupted, path: path, "the snapshot manifest is malformed: \(error)")
        }
    }

    /// Chunk `index`'s records, checked against the manifest.
    public static func chunk(_ index: Int, of manifest: SnapshotManifest, in folder: String)
        throws(StorageError) -> [(key: [UInt8], value: [UInt8])]
    {
        let path = SnapshotChunkWriter.chunkPath(folder, index)
        // The size first: a chunk larger than its manifest says is refused unread.
        guard let size = fileSize(path) else { throw DurableFile.failure(path, "read") }
        guard UInt64(size) == manifest.chunkSizes[index] else {
            throw StorageError(.corrupted, path: path, "snapshot chunk \(index) is not the one its manifest names (\(size) bytes, the manifest says \(manifest.chunkSizes[index]))")
        }
        guard let bytes = DurableFile.contents(of: path) else { throw DurableFile.failure(path, "read") }
        guard UInt64(bytes.count) == manifest.chunkSizes[index], SHA256Digest.hash(bytes) == manifest.chunkHashes[index] else {
            throw StorageError(.corrupted, path: path, "snapshot chunk \(index) is not the one its manifest names (size or SHA-256 differ)")
        }
        return try records(bytes, path: path)
    }

    /// The snapshot's anchor records (the head's certificate, the epoch
    /// records): checked by whoever trusts them, not by a hash here.
    public static func anchor(of folder: String) throws(StorageError) -> [(key: [UInt8], value: [UInt8])] {
        let path = folder + "/anchor"
        if let size = fileSize(path), size > anchorBytesMax {
            throw StorageError(.corrupted, path: path, "the snapshot anchor is \(size) bytes, more than any anchor (\(anchorBytesMax))")
        }
        guard let bytes = DurableFile.contents(of: path) else {
            throw StorageError(.io, path: path, "no snapshot anchor at \(path): an interrupted snapshot, or one from an older build")
        }
        return try records(bytes, path: path)
    }

    /// The largest anchor: a certificate and the epoch records (each under
    /// 64 KiB at the largest committee), with room to spare.
    public static let anchorBytesMax = 4 << 20

    /// The largest manifest: every chunk's hash and size at the most chunks.
    static let manifestBytesMax = 128 + SnapshotManifest.chunksMax * 40

    static func fileSize(_ path: String) -> Int? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return Int(info.st_size)
    }

    static func records(_ bytes: [UInt8], path: String) throws(StorageError) -> [(key: [UInt8], value: [UInt8])] {
        var r = WireReader(bytes)
        var out: [(key: [UInt8], value: [UInt8])] = []
        do throws(WireDecodingError) {
            while r.remaining > 0 {
                let key = try r.blob("snapshot.key", max: 1 << 16)
                let value = try r.blob("snapshot.value", max: bytes.count)
                out.append((key, value))
            }
        } catch {
            throw StorageError(.corrupted, path: path, "a snapshot chunk's records are malformed: \(error)")
        }
        return out
    }
}
