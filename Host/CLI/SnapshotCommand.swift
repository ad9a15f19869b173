import ArgumentParser
import BatonConfig
import BatonCrypto
import Consensus
import Foundation
import Node
import Storage

/// Snapshots for operators (issue 31, item 5): list a node's kept
/// snapshots, export one as a backup, import one into a new data directory
/// — every chunk checked against its manifest on the way.
struct SnapshotCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "snapshot",
        abstract: "List, export and import snapshots of a node's state ([storage] snapshot_interval).",
        subcommands: [List.self, Export.self, Import.self])

    /// The node's config, genesis block and key: what opening its store needs.
    struct NodeFiles {
        let config: NodeConfig
        let genesis: Block
        let committee: Committee
        let key: PrivateKey
        var dataDir: String { config.resolve(config.data_dir) }

        init(_ path: String) throws {
            do { config = try NodeConfig.load(path) } catch { throw ValidationError("\(error)") }
            do { (committee, genesis, _) = try Genesis.load(config.resolve(config.genesis_file)).resolve() } catch {
                throw ValidationError("genesis: \(error) — check genesis_file in \(path)")
            }
            do { key = try KeyFile.load(config.resolve(config.key_file)) } catch {
                throw ValidationError("key: \(error) — check key_file in \(path)")
            }
        }
    }

    static func describe(_ manifest: SnapshotManifest) -> String {
        "height \(manifest.head.height), block \(manifest.head.blockID.short)…, app state \(manifest.head.stateHash.short)…, "
            + "\(manifest.chunkHashes.count) chunks, \(manifest.totalBytes) bytes, \(manifest.records) records"
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The node's kept snapshots, oldest first.")
        @Option(help: "The node's node.toml.") var config: String
        @Flag(help: "Check every chunk against its manifest.") var verify = false

        func run() throws {
            let files = try NodeFiles(config)
            let entries = SnapshotFolder.list(files.dataDir + "/snapshots")
            if entries.isEmpty { print("no snapshots in \(files.dataDir)/snapshots ([storage] snapshot_interval takes them)") }
            for entry in entries {
                var line = "\(entry.folder): \(SnapshotCommand.describe(entry.manifest))"
                if verify {
                    do { _ = try SnapshotFolder.verify(entry.folder); line += " — verified" } catch { line += " — DAMAGED: \(error)" }
                }
                print(line)
            }
        }
    }

    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Copy the newest kept snapshot (verified) to a folder; with --now, take one from the node's store (the node must be stopped).")
        @Option(help: "The node's node.toml.") var config: String
        @Option(help: "The folder to write (must not exist).") var out: String
        @Flag(help: "Take a snapshot of the store now instead of copying a kept one.") var now = false

        func run() throws {
            let files = try NodeFiles(config)
            guard !FileManager.default.fileExists(atPath: out) else { throw ValidationError("\(out) exists: give a new folder") }
            let manifest: SnapshotManifest
            if now {
                let store = try NodeStore(directory: files.dataDir, genesis: files.genesis, owner: files.key.publicKey)
                defer { store.close() }
                manifest = try store.writeSnapshot(into: out)
            } else {
                // The newest with a proof (its node writes one once the blocks above it hold one).
                let kept = SnapshotFolder.list(files.dataDir + "/snapshots")
                guard let newest = kept.last(where: { FileManager.default.fileExists(atPath: $0.folder + "/proof") }) ?? kept.last else {
                    throw ValidationError("no kept snapshot in \(files.dataDir)/snapshots: use --now (with the node stopped)")
                }
                manifest = try SnapshotFolder.verify(newest.folder)
                try FileManager.default.copyItem(atPath: newest.folder, toPath: out)
                _ = try SnapshotFolder.verify(out)
            }
            print("exported to \(out): \(SnapshotCommand.describe(manifest))")
        }
    }

    struct Import: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Restore a snapshot into the node's new data directory (verified first); the node then catches up from its height.")
        @Option(help: "The node's node.toml.") var config: String
        @Option(help: "The snapshot folder (from export, or a node's snapshots/).") var from: String

        @Flag(help: "Restore a snapshot without a proof (one taken with --now): its source is trusted.") var unproven = false

        func run() throws {
            let files = try NodeFiles(config)
            let manifest = try SnapshotFolder.verify(from)
            // As a state sync checks an offer: the block final, the state hash certified, the anchor from the proof.
            var anchor: [(key: [UInt8], value: [UInt8])]?
            if let bytes = FileManager.default.contents(atPath: from + "/proof") {
                let proof: SnapshotProof
                do { proof = try SnapshotProof.decode(Array(bytes)) } catch { throw ValidationError("\(from)/proof is malformed: \(error)") }
                do {
                    anchor = try proof.check(manifest, genesis: files.committee, genesisID: files.genesis.id, verifier: Secp256k1Verifier()).anchor
                } catch {
                    throw ValidationError("refused: \(error)")
                }
            } else if !unproven {
                throw ValidationError("\(from) has no proof (a snapshot taken with --now, or exported before its node wrote one): "
                    + "pass --unproven to restore it trusting its source, or export a kept snapshot a few blocks older")
            }
            _ = try DataDirectory.prepare(files.dataDir)
            let store = try NodeStore(directory: files.dataDir, genesis: files.genesis, create: true, owner: files.key.publicKey)
            defer { store.close() }
            _ = try store.restoreSnapshot(from: from, anchor: anchor)
            print("restored into \(files.dataDir): \(SnapshotCommand.describe(manifest)); \(anchor == nil ? "unproven (trusted source)" : "proven from the genesis"); "
                  + "the node resumes from that height, recovers its safety data (SR-R) and fetches the blocks after it from its peers")
        }
    }
}
