import BatonCrypto
import BatonTestSupport
import Consensus
@_spi(Testing) @testable import Node
import Testing
import Governance

/// What a client (or an attacker) can send as a host transaction through
/// `POST /v1/tx`: everything but a member's valid, timely signature is
/// refused at the door with a reason, never reaches the app, and leaves the
/// schedule as it was; a valid plan is decided in blocks on every node.
@Suite(.serialized) struct HostTransactionAdmissionTests {
    @Test func malformedForeignOutsiderAndReplayedHostTransactionsAreRefusedAndAValidPlanIsDecided() async throws {
        let cluster = try LocalCluster()
        defer { cluster.removeDirectories() }
        try await cluster.startAll()
        // Running first, as the other in-process suites do: at the start of
        // `swift test` every suite starts at once, and a CI run saw this
        // cluster finalize nothing for 30 s while they all contended.
        #expect(await cluster.waitForHeight(2))
        let node = try #require(cluster.nodes[0])
        func refusal(_ bytes: [UInt8]) async -> String? {
            if case .rejected(let reason) = await node.submit(bytes) { return reason }
            return nil
        }
        // Garbage after the host prefix, and a truncated transaction.
        #expect(await refusal(HostTransaction.wirePrefix + [9, 9, 9])?.contains("malformed host transaction") == true)
        let chain = cluster.members.committee.chainID
        let plan = UpgradePlan(chainID: chain, fromHeight: 1_000, expiresAtHeight: 900, plugin: "kvstore",
                               pluginVersion: "1.1.0", sha256: SHA256Digest.hash([1]))
        let good = HostTransaction.propose(.upgrade(plan), Approval.sign(plan, with: cluster.members.signer(0))).submission
        #expect(await refusal(Array(good.dropLast(10)))?.contains("malformed") == true)
        // Signed by a key outside the committee; for another chain; an approval of a plan nobody proposed.
        let outsider = HostTransaction.propose(.upgrade(plan), Approval.sign(plan, with: Secp256k1Signer(PrivateKey.generate())))
        #expect(await refusal(outsider.submission)?.contains("not a voting member") == true)
        let foreignPlan = UpgradePlan(chainID: Bytes32([UInt8](repeating: 7, count: 32))!, fromHeight: 1_000, expiresAtHeight: 900,
                                      plugin: "kvstore", pluginVersion: "1.1.0", sha256: SHA256Digest.hash([1]))
        let foreign = HostTransaction.propose(.upgrade(foreignPlan), Approval.sign(foreignPlan, with: cluster.members.signer(0)))
        #expect(await refusal(foreign.submission)?.contains("not this chain") == true)
        #expect(await refusal(HostTransaction.approve(.upgrade, Approval.sign(plan, with: cluster.members.signer(1))).submission)?
            .contains("not open") == true)
        // The real thing: proposed, approved by two more members, decided on every node.
        guard case .accepted = await node.submit(good) else { Issue.record("the proposal was refused"); return }
        #expect(await waitUntil(seconds: 30) { await node.upgrades.open[plan.id] != nil })
        for member in 1...2 {
            // Each approving node must have committed the proposal itself (node 0 having it proves nothing of node 1).
            #expect(await waitUntil(seconds: 30) { await cluster.nodes[member]!.upgrades.open[plan.id] != nil })
            let approval = HostTransaction.approve(.upgrade, Approval.sign(plan, with: cluster.members.signer(member))).submission
            let answer = await cluster.nodes[member]!.submit(approval)
            guard case .accepted = answer else { Issue.record("approval \(member) refused: \(answer)"); return }
        }
        let decided = await waitUntil(seconds: 30) {
            for i in 0..<4 { guard await cluster.nodes[i]!.upgrades.decided.first?.plan == plan else { return false } }
            return true
        }
        #expect(decided)
        // A replay of a committed approval: the node says it is done already.
        let replay = HostTransaction.approve(.upgrade, Approval.sign(plan, with: cluster.members.signer(1))).submission
        let answer = await node.submit(replay)
        switch answer {
        case .alreadyCommitted, .rejected: break
        default: Issue.record("a replayed approval was taken: \(answer)")
        }
        await cluster.stopAll()
    }

    /// A Byzantine leader's proposal whose host payload is garbage or carries
    /// an outsider's approval gets no vote from this node.
    @Test func aProposalWithAnInvalidHostPayloadIsNotVotedFor() async throws {
        let cluster = try LocalCluster()
        defer { cluster.removeDirectories() }
        try await cluster.startAll()
        let node = try #require(cluster.nodes[0])
        let genesis = cluster.members.genesis
        func block(_ host: [UInt8]) -> Block {
            Block(view: 1, height: 1, parentID: genesis.id, qc: .genesis(genesis.id), lastViewTC: nil, proposer: 1,
                  timestampMs: 1, executedHeight: 0, executedStateHash: .zero, payload: [], hostPayload: host)
        }
        let plan = UpgradePlan(chainID: cluster.members.committee.chainID, fromHeight: 1_000, expiresAtHeight: 900,
                               plugin: "kvstore", pluginVersion: "1.1.0", sha256: SHA256Digest.hash([1]))
        let outsider = HostTransaction.propose(.upgrade(plan), Approval.sign(plan, with: Secp256k1Signer(PrivateKey.generate())))
        let valid = HostTransaction.propose(.upgrade(plan), Approval.sign(plan, with: cluster.members.signer(2)))
        #expect(await node.hostPayloadProblem(block([1, 2, 3]))?.contains("malformed host payload") == true)
        #expect(await node.hostPayloadProblem(block(HostPayload.encode([valid, outsider])))?.contains("not a voting member") == true)
        #expect(await node.hostPayloadProblem(block(HostPayload.encode([valid]))) == nil)
        await cluster.stopAll()
    }
}
