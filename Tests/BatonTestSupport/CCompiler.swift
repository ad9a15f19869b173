import Foundation

public struct CompilerError: Error, CustomStringConvertible {
    public let description: String
    public init(description: String) { self.description = description }
}

/// Builds C plugins the way a third party would: the C compiler, the header,
/// one command. The Swift toolchain always ships clang, so this needs nothing
/// beyond what builds Baton itself.
public enum CCompiler {
    public static let executable: String? = {
        if let cc = ProcessInfo.processInfo.environment["CC"], !cc.isEmpty { return cc }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for name in ["cc", "clang", "gcc"] {
            for dir in path.split(separator: ":") where FileManager.default.isExecutableFile(atPath: "\(dir)/\(name)") {
                return "\(dir)/\(name)"
            }
        }
        return nil
    }()

    /// Every one of clang and gcc on PATH (the header must satisfy both).
    public static let all: [String] = ["clang", "gcc"].compactMap { name in
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return path.split(separator: ":").map { "\($0)/\(name)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Compiles `sources` into `<directory>/<name>` and returns its path.
    /// `headers`: the folder of the baton_plugin.h to build against (the
    /// current one by default; Tests/Fixtures/abi/1.x for older ABIs).
    public static func sharedObject(_ sources: [String], arguments: [String] = [], name: String,
                             in directory: String? = nil, headers: String = Paths.source("PluginAPI/include"),
                             compiler: String? = nil) async throws -> String {
        let output = (try directory ?? makeTemporaryDirectory()) + "/" + name
        try await compile(["-std=c99", "-shared", "-fPIC", "-I", headers] + arguments + sources + ["-o", output, "-lpthread"],
                    compiler: compiler)
        return output
    }

    /// Compiles a C program (`sources`, against the current header) into a
    /// temporary folder and returns its path.
    public static func program(_ sources: [String], arguments: [String] = [], name: String) async throws -> String {
        try await offThePoolThrowing { try programBlocking(sources, arguments: arguments, name: name) }
    }

    /// `program`, blocking the calling thread: only for a trait evaluated
    /// while tests are being planned (before any runs), never inside a test.
    public static func programBlocking(_ sources: [String], arguments: [String] = [], name: String) throws -> String {
        let output = try makeTemporaryDirectory() + "/" + name
        try compileBlocking(["-std=c99", "-I", Paths.source("PluginAPI/include")] + arguments + sources + ["-o", output, "-ldl"],
                    compiler: nil)
        return output
    }

    /// One compiler run, off the cooperative pool; its stderr becomes the error when it fails.
    private static func compile(_ arguments: [String], compiler: String?) async throws {
        try await offThePoolThrowing { try compileBlocking(arguments, compiler: compiler) }
    }

    private static func compileBlocking(_ arguments: [String], compiler: String?) throws {
        guard let executable = compiler ?? executable else { throw CompilerError(description: "no C compiler (cc, clang, gcc) on PATH") }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        let message = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw CompilerError(description: "\(executable) failed: \(String(decoding: message, as: UTF8.self))")
        }
    }

    /// Tests/Fixtures/fixture.c with the given -D switches.
    public static func fixture(_ defines: [String] = [], name: String = "libfixture.so", in directory: String? = nil,
                               abi: String? = nil, flags: [String] = []) async throws -> String {
        try await sharedObject([Paths.source("Tests/Fixtures/fixture.c")], arguments: defines.map { "-D" + $0 } + flags,
                         name: name, in: directory,
                         headers: abi.map { Paths.source("Tests/Fixtures/abi/\($0)") } ?? Paths.source("PluginAPI/include"))
    }
}
