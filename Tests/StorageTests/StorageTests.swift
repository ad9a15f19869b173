import BatonCrypto
import Consensus
import Foundation
import Node
import PluginHost
import Simulation
@testable import Storage
import BatonTestSupport
import Testing


/// A chain of real blocks from a scripted 4-node run, with the QC of each.
struct Chain {
    let setup = SimulatedCommittee(n: 4, seed: 7)
    let blocks: [Block]
    let qcs: [QuorumCertificate]

    init(length: Int) {
        var cluster = ScriptedCluster(setup)
        cluster.start()
        cluster.run { $0.finalizedHeight(0) >= Height(length + 1) }
        let finalized = Array(cluster.finalized[0].prefix(length + 1))
        blocks = Array(finalized.prefix(length))
        qcs = finalized.dropFirst().map(\.qc)  // each block's child carries its QC
    }

    var genesis: Block { setup.genesis }
}

@Suite(.blockingWork) struct StorageTests {
    let chain = Chain(length: 12)

    @Test func reopenRestoresEverything() throws {
        let dir = try makeTemporaryDirectory("baton-store")
        let qc = chain.setup.genesisQC
        let safety = SafetyData(highestVotedView: 9, highestTimeoutView: 7, lastTimeout: nil)
        do {
            let store = try NodeStore(directory: dir, genesis: chain.genesis, create: true)
            for (block, qc) in zip(chain.blocks.prefix(8), chain.qcs) {
                store.app("robot").stage(writes([Array("pos".utf8): Array("h\(block.height)".utf8)]))
                try store.commit(block, certifiedBy: qc, stateHash: SHA256Digest.hash(block.id.bytes))
            }
            for block in chain.blocks[8...] { try store.saveBlock(block) }
            try store.saveSafetyData(safety)
            try store.saveLiveness(LivenessData(currentView: 12, highestQC: qc, lastViewTC: nil))
        }
        let store = try NodeStore(directory: dir, genesis: chain.genesis)
        let recovered = try store.recover()
        #expect(recovered.head.height == 8)
        #expect(recovered.finalized == chain.blocks[7])
        #expect(recovered.head.stateHash == SHA256Digest.hash(chain.blocks[7].id.bytes))
        #expect(Set(recovered.unfinalized.map(\.id)) == Set(chain.blocks[8...].map(\.id)))
        #expect(recovered.safety == safety)
        #expect(recovered.liveness?.currentView == 12)
        #expect(try store.app("robot").value(forKey: Array("pos".utf8)) == Array("h8".utf8))
        // The app state hash of every committed height comes back (app agreement after a restart).
        #expect(recovered.executedStates == Dictionary(uniqueKeysWithValues: chain.blocks.prefix(8).map {
            ($0.height, SHA256Digest.hash($0.id.bytes))
        }))
        // A core resumes from it. Replaying blocks 9-12 finalizes 9 and 10 (each
        // has a certified child one view later): `.start` hands those to the app.
        var core = EventHandler(committee: chain.setup.committee, genesis: chain.genesis, signer: chain.setup.signer(0),
                                verifier: chain.setup.verifier(), recovery: recovered.recovery)
        #expect(core.safety.data.highestVotedView == 9)
        let replayed = core.handle(.start(nowMs: 0)).flatMap { effect -> [Block] in
            if case .finalized(let f) = effect { f.blocks } else { [] }
        }
        #expect(replayed.first == chain.blocks[8])
        #expect(replayed.allSatisfy { $0.height > 8 })
        #expect(core.forks.finalized == replayed.last)
    }

    /// The app state hashes kept per height are a window of the newest 1,024.
    @Test func appStateHashesAreKeptForTheNewest1024Heights() throws {
        let dir = try makeTemporaryDirectory("baton-store")
        let store = try NodeStore(directory: dir, genesis: chain.genesis, create: true)
        for height in 1...1_100 as ClosedRange<Height> {
            let block = Block(view: height, height: height, parentID: chain.genesis.id, qc: chain.setup.genesisQC,
                              lastViewTC: nil, proposer: 0, timestampMs: 1, executedHeight: 0, executedStateHash: .zero,
                              payload: [])
            try store.commit(block, certifiedBy: chain.setup.genesisQC, stateHash: SHA256Digest.hash([UInt8(height % 256)]))
        }
        let states = try store.recover().executedStates
        #expect(states.count == 1_024)
        #expect(states.keys.min() == 77 && states.keys.max() == 1_100)
        #expect(states[500] == SHA256Digest.hash([UInt8(500 % 256)]))
        var left = 0
        try store.db.scan(prefix: Array("e/".utf8)) { _, _ in left += 1; return true }
        #expect(left == 1_024, "older entries are deleted, not only skipped")
    }

    @Test func aCommitInterruptedBeforeItsWriteLeavesThePreviousState() throws {
        let dir = try makeTemporaryDirectory("baton-store")
        do {
            let store = try NodeStore(directory: dir, genesis: chain.genesis, create: true)
            store.app("kv").stage(writes([Array("a".utf8): Array("1".utf8)]))
            try store.commit(chain.blocks[0], certifiedBy: chain.qcs[0], stateHash: SHA256Digest.hash([1]))
            // The app commits block 2 (writes staged)… and the process dies before the batch.
            store.app("kv").stage(writes([Array("a".utf8): Array("2".utf8), Array("b".utf8): Array("2".utf8)]))
        }
        let store = try NodeStore(directory: dir, genesis: chain.genesis)
        #expect(try store.finalizedHead().height == 1)
        #expect(try store.app("kv").value(forKey: Array("a".utf8)) == Array("1".utf8))
        #expect(try store.app("kv").value(forKey: Array("b".utf8)) == nil)
    }

    /// The commit batch is written in key order; writes to one key keep their
    /// staging order, so the last one wins, a delete included.
    @Test func theLastStagedWriteToAKeyWinsAndKeysLandSorted() throws {
        let store = try NodeStore(directory: try makeTemporaryDirectory("baton-store"), genesis: chain.genesis, create: true)
        let (a, b, c) = (Array("a".utf8), Array("b".utf8), Array("c".utf8))
        let first: [([UInt8], [UInt8]?)] = [(b, [1]), (c, [1]), (a, [1]), (b, [2])]
        let second: [([UInt8], [UInt8]?)] = [(c, nil), (b, [3])]
        store.app("kv").stage(first)
        store.app("kv").stage(second)
        try store.commit(chain.blocks[0], certifiedBy: chain.qcs[0], stateHash: .zero)
        #expect(try store.app("kv").value(forKey: a) == [1])
        #expect(try store.app("kv").value(forKey: b) == [3])
        #expect(try store.app("kv").value(forKey: c) == nil)
        #expect(NodeStore.compare([1, 2], [1, 2, 0]) < 0 && NodeStore.compare([2], [1, 9]) > 0 && NodeStore.compare([], []) == 0)
    }

    @Test func namespacesAreIsolated() throws {
        let store = try NodeStore(directory: try makeTemporaryDirectory("baton-store"), genesis: chain.genesis, create: true)
        store.app("rob").stage(writes([Array("x".utf8): [1]]))
        store.app("robot").stage(writes([Array("x".utf8): [2], Array("y".utf8): [3]]))
        try store.commit(chain.blocks[0], certifiedBy: chain.qcs[0], stateHash: .zero)
        var seen: [[UInt8]] = []
        try store.app("rob").forEach(withPrefix: []) { key, _ in seen.append(key); return true }
        #expect(seen == [Array("x".utf8)])
        #expect(try store.app("rob").value(forKey: Array("x".utf8)) == [1])
        #expect(try store.app("robot").value(forKey: Array("x".utf8)) == [2])
        // Consensus keys are not reachable from any namespace.
        #expect(try store.app("").value(forKey: Array("s/safety".utf8)) == nil)
        var count = 0
        try store.app("other").forEach(withPrefix: []) { _, _ in count += 1; return true }
        #expect(count == 0)
    }

    @Test func finalizedBlocksComeWithTheirCertificatesInBoundedBatches() throws {
        let store = try NodeStore(directory: try makeTemporaryDirectory("baton-store"), genesis: chain.genesis, create: true)
        for (block, qc) in zip(chain.blocks, chain.qcs) { try store.commit(block, certifiedBy: qc, stateHash: .zero) }
        let batch = try store.finalizedBlocks(from: 3, limit: 4)
        #expect(batch.map(\.block.height) == [3, 4, 5, 6])
        #expect(batch.allSatisfy { $0.qc.blockID == $0.block.id })
        let validator = Validator(committee: chain.setup.committee, genesisID: chain.genesis.id, verifier: chain.setup.verifier())
        for (_, qc) in batch { try validator.validate(qc) }
        #expect(try store.finalizedBlocks(from: 11, limit: 100).count == 2)
        // Genesis has no certificate record: a range starting at 0 stops before it.
        #expect(try store.finalizedBlocks(from: 0, limit: 1).isEmpty)
    }

    @Test func pluginStateLandsOnlyWithTheCommitBatch() throws {
        let dir = try makeTemporaryDirectory("baton-store")
        let library = try PluginLibrary.load(path: Paths.shippedPlugin("kvstore"))
        let store = try NodeStore(directory: dir, genesis: chain.genesis, create: true)
        let app = try PluginApplication(library: library, store: RocksAppStateStore(store, plugin: library.info.name))
        let context = BlockContext(height: 1, view: 1, timestampMs: 0, parentID: chain.genesis.id.bytes,
                                   proposer: [UInt8](repeating: 2, count: 33))
        guard case .ready(let payload, _) = try app.produceBlock(context, candidates: [Array("k=v".utf8)]) else { return }
        let hash = try app.commitBlock(context, payload: payload)
        #expect(try store.app("kvstore").value(forKey: Array("d/k".utf8)) == nil)  // staged, not yet written
        #expect(throws: ApplicationError.self) { try app.query(Array("k".utf8)) }
        try store.commit(chain.blocks[0], certifiedBy: chain.qcs[0], stateHash: Bytes32(hash.bytes)!)
        #expect(try store.app("kvstore").value(forKey: Array("d/k".utf8)) == Array("v".utf8))
        #expect(try app.query(Array("k".utf8)) == Array("v".utf8))
    }
}

/// A commit's app writes from a literal (NodeStore stages (key, value) pairs).
func writes(_ changes: [[UInt8]: [UInt8]]) -> [([UInt8], [UInt8]?)] {
    changes.sorted { $0.key.lexicographicallyPrecedes($1.key) }.map { ($0.key, $0.value) }
}
