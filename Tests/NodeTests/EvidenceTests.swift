import BatonAPI
import BatonCrypto
import BatonTestSupport
import Consensus
import Foundation
@_spi(Testing) import Node
import Simulation
import Testing

/// Evidence is kept, served, counted and streamed, and checks out offline.
@Suite(.serialized) struct EvidenceTests {
    @Test func anEquivocatingLeadersDoubleProposalsAreKeptAndVerifiableOffline() async throws {
        let members = SimulatedCommittee(n: 4, realCrypto: true, seed: 62)
        let cluster = try LocalCluster(members: members, wrapTransport: { i, transport in
            guard i == 3 else { return transport }
            return EquivocatingTransport(wrapping: transport, signer: Secp256k1Signer(members.keys[3]),
                                         committee: members.committee)
        })
        defer { cluster.removeDirectories() }
        try await cluster.startAll()
        let node = try #require(cluster.nodes[0])
        let events = node.events.subscribe()
        // The SSE stream says so.
        let streamed = await withTaskGroup(of: NodeEvent?.self) { group in
            group.addTask {
                for await event in events { if case .evidence = event { return event } }
                return nil
            }
            group.addTask { try? await Task.sleep(for: .seconds(30)); return nil }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
        guard case .evidence(let kind, let offender, _) = streamed else {
            Issue.record("no evidence event in 30 s")
            return
        }
        #expect(kind == "doubleProposal" && offender == 3)
        #expect(node.metrics.text.split(separator: "\n").contains { $0.hasPrefix("baton_evidence_total ") && !$0.hasSuffix(" 0") })
        let log = await node.evidence
        let record = try #require(log.records.first)
        // What GET /v1/evidence serves, through JSON and back: check it as an outsider would.
        let served = try #require(APIJSON.decode(EvidenceReport.self, from: APIJSON.encode(record.report(chainID: node.chainID))))
        #expect(served.offender == 3 && served.publicKey == members.keys[3].publicKey.hex)
        let key = try #require(PublicKey(compressed: Hex.decode(served.publicKey ?? "") ?? []))
        let chainID = try #require(Hex.decode(served.chainID).flatMap(Bytes32.init))
        #expect(served.messages.count == 2)
        var ids: Set<BlockID> = []
        for message in served.messages {
            let proposal = try Proposal.decode(try #require(Hex.decode(message.message)))
            // The digest is recomputed from the message, not taken from the record.
            let digest = SigningDomain.voteDigest(domain: chainID, view: proposal.block.view, blockID: proposal.block.id)
            #expect(digest.hex == message.digest)
            #expect(proposal.block.view == served.view)
            #expect(Secp256k1Verifier().verify(proposal.signature, digest: digest, publicKey: key))
            ids.insert(proposal.block.id)
        }
        #expect(ids.count == 2, "two different blocks for one view")
        await cluster.stopAll()
    }

    @Test func theLogIsBoundedAndKeepsOneProofPerOffenderKindAndView() throws {
        let setup = SimulatedCommittee(n: 4, seed: 5)
        var log = EvidenceLog(capacity: 3)
        func doubleVote(view: View) -> Evidence {
            .doubleVote(setup.vote(1, view: view, block: SHA256Digest.hash([1])), setup.vote(1, view: view, block: SHA256Digest.hash([2])))
        }
        let first = log.add(doubleVote(view: 5), offenderKey: nil, nowMs: 0)
        let again = log.add(doubleVote(view: 5), offenderKey: nil, nowMs: 1)
        #expect(first && !again, "the same proof twice is kept once")
        for view in 6...9 as ClosedRange<View> { _ = log.add(doubleVote(view: view), offenderKey: nil, nowMs: 2) }
        #expect(log.records.count == 3 && log.total == 5)
        #expect(log.records.map(\.evidence.view) == [7, 8, 9])
        // Views repeat across epochs: the same view in epoch 1 is another proof,
        // served with the digest its signatures cover (that epoch's domain).
        let domain = SigningDomain.epochDomain(chainID: setup.committee.chainID, epoch: 1)
        let added = log.add(doubleVote(view: 9), offenderKey: nil, nowMs: 3, epoch: 1)
        #expect(added)
        let served = try #require(log.records.last).report(chainID: setup.committee.chainID)
        #expect(served.epoch == 1)
        let vote = setup.vote(1, view: 9, block: SHA256Digest.hash([1]))
        #expect(served.messages.first?.digest == SigningDomain.voteDigest(domain: domain, view: 9, blockID: vote.blockID).hex,
                "\(served)")
    }
}

extension EvidenceTests {
    /// Double proposals carry two payloads each: the log is bounded in bytes too.
    @Test func theLogIsBoundedInBytes() {
        let setup = SimulatedCommittee(n: 4, seed: 5)
        var log = EvidenceLog(capacity: 100, bytesMax: 8_100)  // two records of 1,024 + 2 × 1,500 bytes
        for view in 1...5 as ClosedRange<View> {
            let a = setup.block(view: view, height: 1, parent: setup.genesis, payload: [UInt8](repeating: 1, count: 1_500))
            let b = setup.block(view: view, height: 1, parent: setup.genesis, payload: [UInt8](repeating: 2, count: 1_500))
            _ = log.add(.doubleProposal(setup.proposal(a), setup.proposal(b)), offenderKey: nil, nowMs: 0)
        }
        #expect(log.total == 5 && log.records.count == 2 && log.bytes <= 8_100)
        #expect(log.records.map(\.evidence.view) == [4, 5])
    }
}
