import Foundation

/// A node's key on disk: JSON `{"publicKey": hex, "privateKey": hex}` (the
/// Metronome format), created with mode 0600 and never overwritten.
public enum KeyFile {
    public struct Failure: Error, CustomStringConvertible, Sendable {
        public let description: String
    }

    struct Contents: Codable {
        var publicKey: String
        var privateKey: String
    }

    /// The JSON for `key`, as `baton keygen` prints it.
    public static func json(_ key: PrivateKey) -> String {
        """
        {
          "publicKey" : "\(key.publicKey.hex)",
          "privateKey" : "\(Hex.encode(key.bytes))"
        }
        """
    }

    /// Writes `key` to a new file readable only by its owner.
    public static func write(_ key: PrivateKey, to path: String) throws(Failure) {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard fd >= 0 else {
            let reason = errno == EEXIST ? "it already exists; keys are never overwritten" : String(cString: strerror(errno))
            throw Failure(description: "cannot create key file \(path): \(reason)")
        }
        defer { close(fd) }
        let bytes = Array((json(key) + "\n").utf8)
        guard Foundation.write(fd, bytes, bytes.count) == bytes.count, fsync(fd) == 0 else {
            throw Failure(description: "cannot write key file \(path): \(String(cString: strerror(errno)))")
        }
    }

    /// Reads and checks a key file: owner-only, both keys present, valid,
    /// and matching. A file group or others can read is refused, as ssh
    /// refuses such a private key.
    public static func load(_ path: String) throws(Failure) -> PrivateKey {
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw Failure(description: "cannot read key file \(path): \(String(cString: strerror(errno))). "
                + "A committee member's key is the one whose public key the genesis lists: restore that file from your backup "
                + "(`baton keygen` would make another key, which the committee does not know)")
        }
        guard info.st_mode & 0o077 == 0 else {
            throw Failure(description: "key file \(path) is readable by others (mode \(String(info.st_mode & 0o777, radix: 8))): "
                + "run `chmod 600 \(path)`; a private key must be readable by its owner alone")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw Failure(description: "cannot read key file \(path): permission denied; run the node as the file's owner")
        }
        let contents: Contents
        do { contents = try JSONDecoder().decode(Contents.self, from: data) } catch {
            throw Failure(description: "key file \(path) is not {\"publicKey\": hex, \"privateKey\": hex}: \(error)")
        }
        guard let secret = Hex.decode(contents.privateKey), let key = PrivateKey(bytes: secret) else {
            throw Failure(description: "key file \(path): privateKey is not a valid secp256k1 secret (64 hex digits)")
        }
        guard key.publicKey.hex == contents.publicKey.lowercased() else {
            throw Failure(description: "key file \(path): publicKey does not belong to privateKey; the file is damaged")
        }
        return key
    }
}
