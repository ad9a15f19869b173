import Foundation
import Synchronization

/// Where the built artifacts and the sources are, found from the running test
/// bundle and this file, never from a hard-coded absolute path.
public enum Paths {
    /// The repository root (this file is Tests/BatonTestSupport/Paths.swift).
    public static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    /// SwiftPM's bin folder: the test bundle runs from it, and `baton`,
    /// `powchain` and the shipped plugins (lib<name>.so) are written there.
    public static let binDirectory: String = {
        let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: executable).deletingLastPathComponent().path
    }()

    /// A binary built next to the tests (`baton`, `powchain`).
    public static func binary(_ name: String) -> String { binDirectory + "/" + name }

    public static func shippedPlugin(_ name: String) -> String { binDirectory + "/lib\(name).so" }

    public static func source(_ relative: String) -> String { repositoryRoot + "/" + relative }
}

/// A fresh folder under the system's temporary directory.
public func makeTemporaryDirectory(_ prefix: String = "baton-tests") throws -> String {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    TemporaryDirectories.remember(url.path)
    return url.path
}

/// Every temporary folder the tests make (data directories, testnets, built
/// plugins) is removed when the test process exits, so a run leaves /tmp as
/// it found it. `BATON_KEEP_TEST_DIRS=1` keeps them, for a post-mortem of a
/// failed run (node.log files, RocksDB stores).
public enum TemporaryDirectories {
    private static let paths = Mutex<[String]>([])
    private static let registered: Bool = {
        atexit {
            guard ProcessInfo.processInfo.environment["BATON_KEEP_TEST_DIRS"] == nil else { return }
            for path in TemporaryDirectories.paths.withLock({ $0 }) { try? FileManager.default.removeItem(atPath: path) }
        }
        return true
    }()

    /// Removes `path` at exit.
    public static func remember(_ path: String) {
        _ = registered
        paths.withLock { $0.append(path) }
    }
}
