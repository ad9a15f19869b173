import Foundation

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
    return url.path
}
