import BatonAPI
import BatonConfig
import BatonConsole
import ArgumentParser
import BatonCrypto
import Checkpointing
import Consensus
import Foundation
import Node

struct CheckpointCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "checkpoint", abstract: "Checkpoint certificates of the checkpointing interpreter.",
        subcommands: [Verify.self, Show.self])

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Verify a checkpoint certificate offline, with only the committee from a genesis file.",
            discussion: "Exit status 0 and the checkpoint when valid; 1 and the exact reason when not.")

        @Argument(help: "The certificate file (binary, as the interpreter writes it).") var certificate: String
        @Option(help: "The federation's genesis.json (its chain id and committee keys).") var genesis: String
        @Option(name: .customLong("changes-from"),
                help: "A node's HTTP API (HOST:PORT) to fetch the committee changes since the genesis from, for a certificate signed after one (they verify from the genesis; the node is not trusted).")
        var changesFrom: String?
        @Flag(help: "Print the certificate as JSON after the verdict.") var json = false

        func run() async throws {
            let committee: Committee
            do { committee = try Genesis.load(genesis).resolve().committee } catch {
                printError("error: \(genesis): \(error)")
                throw ExitCode.failure
            }
            guard let data = FileManager.default.contents(atPath: certificate) else {
                printError("error: \(certificate): no such file or not readable")
                throw ExitCode.failure
            }
            var changes: [EpochChange] = []
            if let changesFrom {
                let listed = await fetch(CommitteeChangeRecords.self, "http://\(changesFrom)/v1/committee/changes")?.changes
                guard let listed else {
                    printError("error: no committee changes from http://\(changesFrom)/v1/committee/changes: is a node's API there?")
                    throw ExitCode.failure
                }
                do { changes = try listed.map { try EpochChange.decode(Hex.decode($0) ?? []) } } catch {
                    printError("error: a committee change from \(changesFrom) is malformed: \(error)")
                    throw ExitCode.failure
                }
            }
            let started = ContinuousClock.now
            do {
                let decoded = try CheckpointCertificate.decode(Array(data))
                let verified = try decoded.verify(genesis: committee, changes: changes, verifier: Secp256k1Verifier())
                let elapsed = ContinuousClock.now - started
                printLine("valid: proof-of-work block #\(verified.checkpoint.height) \(verified.checkpoint.hash.hex) is final in Baton block \(verified.batonHeight) (view \(verified.batonView), \(verified.batonBlockID.short)); \(data.count) bytes, verified in \(elapsed.formatted(.units(allowed: [.milliseconds, .microseconds], width: .narrow)))")
                if json { printLine(decoded.json) }
            } catch {
                printError("invalid: \(error)")
                throw ExitCode.failure
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print a checkpoint certificate as JSON (does not verify it).")
        @Argument(help: "The certificate file.") var certificate: String

        func run() async throws {
            guard let data = FileManager.default.contents(atPath: certificate) else {
                printError("error: \(certificate): no such file or not readable")
                throw ExitCode.failure
            }
            do { printLine(try CheckpointCertificate.decode(Array(data)).json) } catch {
                printError("error: \(error)")
                throw ExitCode.failure
            }
        }
    }
}
