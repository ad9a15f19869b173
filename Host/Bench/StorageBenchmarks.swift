import BatonConsole
import ArgumentParser
import BatonCrypto
import Consensus
import Foundation
import Simulation
import Storage

public struct StorageBench: ParsableCommand {
    public init() {}

    public static let configuration = CommandConfiguration(
        commandName: "storage",
        abstract: "RocksDB: synchronous safety writes, commits of 1,000-transaction blocks, recovery, bytes per block.")

    @Option(help: "Folder for the temporary stores (default: the system temporary folder).") var dir: String?
    @Option(help: "Synchronous writes to time.") var syncWrites = 2_000
    @Option(help: "1,000-transaction blocks to commit.") var blocks = 500
    @Option(help: "Finalized blocks in the recovery store.") var recoveryBlocks = 100_000

    public func run() throws {
        let base = dir ?? FileManager.default.temporaryDirectory.path
        let setup = SimulatedCommittee(n: 4, seed: 1)
        var rows = [["MEASUREMENT", "FIGURE"]]

        // 1. Synchronous safety-data writes.
        let syncDir = try fresh(base)
        do {
            let store = try NodeStore(directory: syncDir, genesis: setup.genesis, create: true)
            var latencies: [Double] = []
            let clock = ContinuousClock()
            for view in 1...UInt64(syncWrites) {
                let start = clock.now
                try store.saveSafetyData(SafetyData(highestVotedView: view, highestTimeoutView: view - 1))
                latencies.append(micros(start.duration(to: clock.now)))
            }
            latencies.sort()
            rows.append(["sync safety write, median", Stopwatch.format(latencies[latencies.count / 2]) + " µs"])
            rows.append(["sync safety write, p99", Stopwatch.format(latencies[latencies.count * 99 / 100]) + " µs"])
        }

        // 2. Commits of 1,000-transaction blocks, each with 1,000 app writes.
        let commitDir = try fresh(base)
        do {
            let store = try NodeStore(directory: commitDir, genesis: setup.genesis, create: true)
            let chain = fabricatedChain(setup, count: blocks, transactions: 1_000, transactionBytes: 32)
            let clock = ContinuousClock()
            let start = clock.now
            for (index, block) in chain.enumerated() {
                let writes = (0..<1_000).map { t in
                    (Array("d/\(index)/\(t)".utf8), Optional([UInt8](repeating: UInt8(t % 256), count: 32)))
                }
                store.app("bench").stage(writes)
                try store.commit(block, certifiedBy: setup.genesisQC, stateHash: block.id)
            }
            let seconds = micros(start.duration(to: clock.now)) / 1e6
            try store.flush()
            rows.append(["commits/s, 1,000 × 32-byte tx blocks (+1,000 app writes each)", Stopwatch.format(Double(blocks) / seconds, digits: 0)])
            rows.append(["on disk per such block", "\(directoryBytes(commitDir) / blocks) bytes"])
        }

        // 3. Recovery of a store with many finalized blocks.
        let recoveryDir = try fresh(base)
        do {
            let store = try NodeStore(directory: recoveryDir, genesis: setup.genesis, create: true)
            let chain = fabricatedChain(setup, count: recoveryBlocks, transactions: 4, transactionBytes: 32)
            for block in chain { try store.commit(block, certifiedBy: setup.genesisQC, stateHash: block.id) }
            for block in fabricatedChain(setup, count: 10, transactions: 1, transactionBytes: 8, after: chain.last!) {
                try store.saveBlock(block)
            }
            try store.flush()
            rows.append(["on disk per small block (4 tx)", "\(directoryBytes(recoveryDir) / recoveryBlocks) bytes"])
        }
        let clock = ContinuousClock()
        let start = clock.now
        let reopened = try NodeStore(directory: recoveryDir, genesis: setup.genesis)
        let recovered = try reopened.recover()
        let recoveryMs = micros(start.duration(to: clock.now)) / 1_000
        precondition(recovered.head.height == Height(recoveryBlocks) && recovered.unfinalized.count == 10)
        rows.append(["recovery (open + recover), \(recoveryBlocks) finalized blocks", Stopwatch.format(recoveryMs) + " ms"])
        print(Table.render(rows))
        for path in [syncDir, commitDir, recoveryDir] { try? FileManager.default.removeItem(atPath: path) }
    }

    func fresh(_ base: String) throws -> String {
        let path = base + "/baton-bench-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    func micros(_ d: Duration) -> Double {
        Double(d.components.seconds) * 1e6 + Double(d.components.attoseconds) / 1e12
    }

    func directoryBytes(_ path: String) -> Int { Int(DiskUsage.bytes(path)) }

    /// A chain of blocks whose payloads hold `transactions` length-prefixed transactions.
    func fabricatedChain(_ setup: SimulatedCommittee, count: Int, transactions: Int, transactionBytes: Int,
                         after start: Block? = nil) -> [Block] {
        var parent = start ?? setup.genesis
        var blocks: [Block] = []
        blocks.reserveCapacity(count)
        for _ in 0..<count {
            var payload: [UInt8] = []
            for t in 0..<transactions {
                payload += [0, 0, 0, UInt8(transactionBytes)]
                payload += [UInt8](repeating: UInt8(truncatingIfNeeded: t &+ Int(parent.height)), count: transactionBytes)
            }
            let block = Block(view: parent.view + 1, height: parent.height + 1, parentID: parent.id, qc: setup.genesisQC,
                              lastViewTC: nil, proposer: 0, timestampMs: parent.view, executedHeight: 0,
                              executedStateHash: .zero, payload: payload)
            blocks.append(block)
            parent = block
        }
        return blocks
    }
}
