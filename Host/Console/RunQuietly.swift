import Foundation

/// A helper process exited non-zero.
public struct ProcessFailure: Error, CustomStringConvertible {
    public let description: String
}

/// Runs `binary arguments` to completion, quietly; fails if it fails.
public func runQuietly(_ binary: String, _ arguments: [String]) throws {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: binary)
    process.arguments = arguments
    process.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
    try process.run()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else { throw ProcessFailure(description: "\(binary) \(arguments.first ?? "") failed (exit status \(process.terminationStatus))") }
}
