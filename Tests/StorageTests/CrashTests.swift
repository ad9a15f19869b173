import BatonCrypto
import Consensus
import Foundation
import Node
import PluginHost
import Simulation
@testable import Storage
import BatonTestSupport
import Testing

@Suite(.blockingWork) struct CrashTests {
    /// A child process writes safety data synchronously and prints each view
    /// after its write returned; it is killed with SIGKILL mid-stream. Every
    /// printed view must be on disk.
    @Test func safetyDataWrittenSynchronouslySurvivesSIGKILL() async throws {
        let dir = try makeTemporaryDirectory("baton-store")
        // The child is read and waited for on a thread of its own, not the cooperative pool.
        let (process, lastDurable) = try await offThePoolThrowing { try Self.killMidStream(dir) }
        #expect(process.terminationReason == .uncaughtSignal)
        #expect(lastDurable >= 200)
        let store = try NodeStore(directory: dir, genesis: SimulatedCommittee(n: 4, seed: 1).genesis)
        let safety = try store.recover().safety
        #expect(safety.highestVotedView >= lastDurable)
    }

    /// Starts the writer, reads until it has printed view 200 durable, SIGKILLs it.
    static func killMidStream(_ dir: String) throws -> (Process, UInt64) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Paths.binary("baton"))
        process.arguments = ["debug", "safety-writer", "--dir", dir]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        var lastDurable: UInt64 = 0
        var buffer = ""
        let reader = output.fileHandleForReading
        while lastDurable < 200 {
            let data = reader.availableData
            guard !data.isEmpty else { break }
            buffer += String(decoding: data, as: UTF8.self)
            let lines = buffer.split(separator: "\n", omittingEmptySubsequences: false)
            buffer = String(lines.last ?? "")
            for line in lines.dropLast() where line.hasPrefix("durable ") {
                lastDurable = UInt64(line.dropFirst(8)) ?? lastDurable
            }
        }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        return (process, lastDurable)
    }
}
