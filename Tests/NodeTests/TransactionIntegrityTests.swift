import BatonCrypto
import BatonTestSupport
import Consensus
import Foundation
@_spi(Testing) import Node
import Simulation
import Testing

/// A Byzantine proposer listing hashes of pending transactions it does not
/// carry must not make honest mempools drop them: the host derives what a
/// block carries from its bytes (see `BlockTransactions`).
@Suite(.serialized) struct TransactionIntegrityTests {
    /// `plugin`: kvstore (ABI 1.2: the app lists a payload's transactions)
    /// or the 1.0 fixture (the host's fallback).
    func liarCannotDropAPendingTransaction(plugin: String, transaction: [UInt8], key: [UInt8], value: [UInt8],
                                           isolation: PluginIsolation = .inProcess) async throws {
        let hash = SHA256Digest.hash(transaction)
        let members = SimulatedCommittee(n: 4, realCrypto: true, seed: 61)
        let cluster = try LocalCluster(plugin: plugin, members: members, isolation: isolation, wrapTransport: { i, transport in
            guard i == 0 else { return transport }
            return RelistingTransport(wrapping: transport, signer: Secp256k1Signer(members.keys[0]),
                                      chainID: members.committee.chainID, extra: [hash])
        })
        defer { cluster.removeDirectories() }
        try await cluster.startAll()
        // The liar has proposed (and lied) before the transaction exists anywhere.
        #expect(await cluster.waitForHeight(8))
        // Only node 1 holds it: a lying block the others certify must not drop it there.
        let holder = try #require(cluster.nodes[1])
        guard case .accepted = await holder.admitLocally(transaction) else {
            Issue.record("not admitted")
            return
        }
        let committed = await waitUntil(seconds: 30) { (try? await holder.query(key)) == value }
        #expect(committed, "the pending transaction was never committed")
        await cluster.stopAll()
    }

    @Test func withAnAppThatListsItsTransactions() async throws {
        try await liarCannotDropAPendingTransaction(plugin: "kvstore", transaction: Array("lie=truth".utf8),
                                                    key: Array("lie".utf8), value: Array("truth".utf8))
    }

    /// The same with the plugin in child processes, where the list and the
    /// verdict come back in one round trip (`validateListing`): the list is
    /// still checked before any vote.
    @Test func withAnAppInItsOwnProcess() async throws {
        try await liarCannotDropAPendingTransaction(plugin: "kvstore", transaction: Array("lie=truth".utf8),
                                                    key: Array("lie".utf8), value: Array("truth".utf8),
                                                    isolation: .process(executable: Paths.binary("baton")))
    }

    @Test func withAnOldAppThroughTheFallback() async throws {
        try await liarCannotDropAPendingTransaction(plugin: try await CCompiler.fixture(name: "libfixture-1.0.so", abi: "1.0"),
                                                    transaction: Array("put:lie".utf8), key: Array("get:lie".utf8),
                                                    value: Array("1".utf8))
    }

    /// With an ABI 1.2 app, no lying proposal is ever voted for: the liar's
    /// views all time out, and no finalized block is its.
    @Test func honestNodesDoNotVoteForAFalseList() async throws {
        let members = SimulatedCommittee(n: 4, realCrypto: true, seed: 61)
        let cluster = try LocalCluster(plugin: "kvstore", members: members, wrapTransport: { i, transport in
            guard i == 0 else { return transport }
            return RelistingTransport(wrapping: transport, signer: Secp256k1Signer(members.keys[0]),
                                      chainID: members.committee.chainID, extra: [SHA256Digest.hash([1, 2, 3])])
        })
        defer { cluster.removeDirectories() }
        try await cluster.startAll()
        #expect(await cluster.waitForHeight(12))
        let node = try #require(cluster.nodes[1])
        for height in 1...12 as ClosedRange<Height> {
            let block = try #require(try await node.finalizedBlock(at: height))
            #expect(block.proposer != 0, "height \(height): the liar's block was finalized")
        }
        await cluster.stopAll()
    }
}

extension TransactionIntegrityTests {
    /// A plugin whose check_tx fails (an error, not a verdict) is the
    /// plugin's bug: the submission says so and names the plugin (HTTP 500),
    /// unlike a rejection (400 with the app's reason).
    @Test func aFailingCheckTxIsThePluginsFaultNotTheClients() async throws {
        let fixture = try await CCompiler.fixture(name: "libfixture-bad.so")
        let cluster = try LocalCluster(plugin: fixture, pluginConfig: "bad-status")
        defer { cluster.removeDirectories() }
        try await cluster.start(0)  // alone: nothing commits, so the broken commit never runs
        let node = try #require(cluster.nodes[0])
        // admitLocally: a lone node refuses submissions (no quorum), before check_tx.
        guard case .failed(let reason) = await node.admitLocally(Array("put:x".utf8)) else {
            Issue.record("a failing check_tx was not reported as the plugin's failure")
            return
        }
        #expect(reason.contains("check_tx failed in plugin fixture") && reason.contains("42"), "\(reason)")
        await cluster.stopAll()
    }
}
