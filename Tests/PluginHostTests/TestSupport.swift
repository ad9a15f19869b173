import Foundation
import PluginHost
import Testing

/// Where the built artifacts and the sources are, found from the running test
/// bundle and this file, never from a hard-coded absolute path.
enum Paths {
    /// The repository root (this file is Tests/PluginHostTests/TestSupport.swift).
    static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    /// SwiftPM's bin folder: the test bundle runs from it, and the shipped
    /// plugins (lib<name>.so) and `baton` are written there.
    static let binDirectory: String = {
        let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: executable).deletingLastPathComponent().path
    }()

    static func shippedPlugin(_ name: String) -> String { binDirectory + "/lib\(name).so" }

    static func source(_ relative: String) -> String { repositoryRoot + "/" + relative }
}

/// A fresh folder under the system's temporary directory.
func makeTemporaryDirectory() throws -> String {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("baton-tests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url.path
}

struct CompilerError: Error, CustomStringConvertible {
    let description: String
}

/// Builds C plugins the way a third party would: the C compiler, the header,
/// one command. The Swift toolchain always ships clang, so this needs nothing
/// beyond what builds Baton itself.
enum CCompiler {
    static let executable: String? = {
        if let cc = ProcessInfo.processInfo.environment["CC"], !cc.isEmpty { return cc }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for name in ["cc", "clang", "gcc"] {
            for dir in path.split(separator: ":") where FileManager.default.isExecutableFile(atPath: "\(dir)/\(name)") {
                return "\(dir)/\(name)"
            }
        }
        return nil
    }()

    /// Compiles `sources` into `<directory>/<name>` and returns its path.
    static func sharedObject(_ sources: [String], arguments: [String] = [], name: String,
                             in directory: String? = nil) throws -> String {
        guard let executable else { throw CompilerError(description: "no C compiler (cc, clang, gcc) on PATH") }
        let output = (try directory ?? makeTemporaryDirectory()) + "/" + name
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["-std=c99", "-shared", "-fPIC", "-I", Paths.source("PluginAPI/include")]
            + arguments + sources + ["-o", output, "-lpthread"]
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        let message = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw CompilerError(description: "\(executable) failed: \(String(decoding: message, as: UTF8.self))")
        }
        return output
    }

    /// Tests/Fixtures/fixture.c with the given -D switches.
    static func fixture(_ defines: [String] = [], name: String = "libfixture.so", in directory: String? = nil) throws -> String {
        try sharedObject([Paths.source("Tests/Fixtures/fixture.c")], arguments: defines.map { "-D" + $0 },
                         name: name, in: directory)
    }
}

/// A block context for tests: height h, view h, a recognisable parent id.
func context(height: UInt64, pending: [[UInt8]] = [], proposer: [UInt8] = [UInt8](repeating: 3, count: 33))
    -> BlockContext
{
    BlockContext(height: height, view: height, timestampMs: 1_700_000_000_000 + height,
                 blockID: [UInt8](repeating: UInt8(truncatingIfNeeded: height), count: 32),
                 parentID: [UInt8](repeating: UInt8(truncatingIfNeeded: height &- 1), count: 32),
                 proposer: proposer, pendingPayloads: pending)
}

extension Array where Element == UInt8 {
    init(_ text: String) { self = Array(text.utf8) }
    var text: String { String(decoding: self, as: UTF8.self) }
}

/// Awaits the next value of a stream: late answers are events, not sleeps.
func next<T>(_ iterator: inout AsyncStream<T>.Iterator) async -> T? { await iterator.next() }
