import Foundation

/// The node's data folder, checked before anything is written to it: a path
/// that is a file, a folder this user cannot use, or a log that cannot be
/// written each stop the node with one message that says what to change —
/// never a raw Foundation error, never a node that silently logs nowhere.
public enum DataDirectory {
    /// Creates `path` if missing; checks it is a usable folder and that
    /// `path/node.log` can be appended to. Returns the log's path.
    public static func prepare(_ path: String) throws(BootstrapError) -> String {
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) {
            guard isFolder.boolValue else {
                throw BootstrapError(.dataDirectory(path, "it is a file, not a folder: point data_dir in node.toml at a folder (it is created if missing)"))
            }
        } else {
            do { try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true) } catch {
                throw BootstrapError(.dataDirectory(path, "it cannot be created (\(reason(error))): check the parent folder's owner and mode"))
            }
        }
        guard access(path, R_OK | W_OK | X_OK) == 0 else {
            throw BootstrapError(.dataDirectory(path, "this user (uid \(getuid())) cannot read and write it: fix its owner or mode, or run the node as its owner"))
        }
        let log = path + "/node.log"
        let fd = open(log, O_WRONLY | O_APPEND | O_CREAT, 0o640)
        guard fd >= 0 else {
            throw BootstrapError(.dataDirectory(path, "the node's log \(log) cannot be written (\(String(cString: strerror(errno))))"))
        }
        close(fd)
        return log
    }

    private static func reason(_ error: any Error) -> String {
        (error as NSError).localizedFailureReason ?? (error as NSError).localizedDescription
    }
}
