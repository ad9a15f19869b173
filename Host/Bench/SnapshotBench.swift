import ArgumentParser
import BatonConsole
import BatonCrypto
import Consensus
import Foundation
import Simulation
import Storage

/// How fast a node's state is snapshotted, checked and restored (issue 31):
/// the local part of bringing a wiped member back (the network's share is
/// the chunks' transfer).
public struct SnapshotBench: ParsableCommand {
    public init() {}

    public static let configuration = CommandConfiguration(
        commandName: "snapshot",
        abstract: "Snapshot write, verify and restore rates for an app state of a given size, in RocksDB.")

    @Option(help: "App state to fill, MiB of keys and values.") var mib = 100
    @Option(help: "Bytes per value (keys are 16 bytes).") var valueBytes = 100
    @Option(help: "Folder for the temporary stores (default: the system temporary folder).") var dir: String?

    public func run() throws {
        let base = (dir ?? FileManager.default.temporaryDirectory.path) + "/baton-bench-snapshot-\(UUID().uuidString)"
        for folder in ["/source", "/target"] {
            try FileManager.default.createDirectory(atPath: base + folder, withIntermediateDirectories: true)
        }
        defer { try? FileManager.default.removeItem(atPath: base) }
        let setup = SimulatedCommittee(n: 4, seed: 1)
        let source = try NodeStore(directory: base + "/source", genesis: setup.genesis, create: true)
        let entries = mib * 1_048_576 / (16 + valueBytes)
        let perBlock = 10_000
        var parent = setup.genesis
        let clock = ContinuousClock()
        let fillStart = clock.now
        for first in stride(from: 0, to: entries, by: perBlock) {
            let batch = (first..<min(entries, first + perBlock)).map { index -> ([UInt8], [UInt8]) in
                var key = Array("key-".utf8) + Array(String(index, radix: 16).utf8)
                key += [UInt8](repeating: 0x2E, count: max(0, 16 - key.count))
                return (key, [UInt8](repeating: UInt8(truncatingIfNeeded: index), count: valueBytes))
            }
            source.app("kv").stage(batch)
            let block = Block(view: parent.view + 1, height: parent.height + 1, parentID: parent.id, qc: setup.genesisQC,
                              lastViewTC: nil, proposer: 0, timestampMs: parent.view, executedHeight: 0,
                              executedStateHash: .zero, payload: [])
            try source.commit(block, certifiedBy: setup.genesisQC, stateHash: block.id)
            parent = block
        }
        try source.syncCommitted()
        let fill = seconds(fillStart.duration(to: clock.now))

        let snapshotStart = clock.now
        let manifest = try source.writeSnapshot(into: base + "/snapshot")
        let write = seconds(snapshotStart.duration(to: clock.now))
        let verifyStart = clock.now
        _ = try SnapshotFolder.verify(base + "/snapshot")
        let verify = seconds(verifyStart.duration(to: clock.now))
        let target = try NodeStore(directory: base + "/target", genesis: setup.genesis, create: true)
        let restoreStart = clock.now
        _ = try target.restoreSnapshot(from: base + "/snapshot")
        let recovered = try target.recover()
        let restore = seconds(restoreStart.duration(to: clock.now))
        precondition(recovered.head == manifest.head, "the restored head is not the snapshot's")
        source.close()
        target.close()

        let megabytes = Double(manifest.totalBytes) / 1_048_576
        func rate(_ s: Double) -> String { Stopwatch.format(s, digits: 2) + " s (" + Stopwatch.format(megabytes / s, digits: 0) + " MiB/s)" }
        print(Table.render([
            ["MEASUREMENT", "FIGURE"],
            ["app state", "\(entries) keys, \(Stopwatch.format(megabytes, digits: 1)) MiB in \(manifest.chunkHashes.count) chunks (filled in \(Stopwatch.format(fill, digits: 1)) s)"],
            ["write the snapshot (one consistent view, chunks fsynced)", rate(write)],
            ["verify every chunk (SHA-256, records)", rate(verify)],
            ["restore into a new store and recover", rate(restore)],
            ["snapshot folder on disk", Stopwatch.format(Double(DiskUsage.bytes(base + "/snapshot")) / 1_048_576, digits: 1) + " MiB"],
        ]))
    }

    func seconds(_ d: Duration) -> Double { Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18 }
}
