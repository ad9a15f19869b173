import BatonCrypto
@testable import Consensus
import Simulation
import BatonTestSupport
import Testing

/// Epochs in the core (EP-2 … EP-5): signatures separated by epoch, the root
/// QC, a removed member's signatures worth nothing, the switch record, the
/// newcomer grace, and safety data that names its epoch.
@Suite(.blockingWork) struct EpochTests {
    /// Five keys; epoch 0's committee is the first four.
    let net = SimulatedCommittee(n: 4, seed: 17, spares: 1)
    let verifier = CountingVerifier()

    func rejection(_ body: () throws -> Void) -> ValidationError? {
        do { try body(); return nil } catch { return error as? ValidationError }
    }

    /// Epoch 1: members 0, 1, 2 and the spare key 4 (member 3 removed).
    var next: Committee {
        try! net.committee.following(members: [0, 1, 2, 4].map { Committee.Member(publicKey: net.keys[$0].publicKey, weight: 1) })
    }

    func vote(key: Int, as index: ValidatorIndex, in committee: Committee, view: View, block: BlockID) -> Vote {
        let digest = SigningDomain.voteDigest(domain: committee.signingDomain, view: view, blockID: block)
        return Vote(view: view, blockID: block, signer: index, signature: net.signer(key).sign(digest))
    }

    /// A QC of `committee` whose signer at index `i` signs with key `keys[i]`.
    func qc(_ committee: Committee, keys: [ValidatorIndex: Int], view: View, block: BlockID) -> QuorumCertificate {
        let set = SignerSet(capacity: committee.count, members: keys.keys.sorted())
        return QuorumCertificate(view: view, blockID: block, signers: set, signatures: set.map {
            vote(key: keys[$0]!, as: $0, in: committee, view: view, block: block).signature
        })
    }

    /// A root at view 10, height 3, and its child at view 11, as in epoch 0.
    var chain: (root: Block, child: Block, childQC: QuorumCertificate) {
        let root = net.block(view: 10, height: 3, parent: net.genesis, qc: net.qc(view: 9, block: net.genesis.id))
        let child = net.block(view: 11, height: 4, parent: root)
        return (root, child, net.qc(view: 11, block: child.id))
    }

    @Test func epochZeroSignsUnderTheChainIDAndEveryLaterEpochUnderItsOwnDomain() {
        #expect(net.committee.signingDomain == net.committee.chainID)
        #expect(next.signingDomain != net.committee.chainID)
        let again = try! next.following(members: next.members)
        #expect(again.epoch == 2 && again.signingDomain != next.signingDomain)
        // Member 0's vote of epoch 0 does not verify in epoch 1, where it is member 0 too.
        let root = chain.root
        let old = Validator(committee: net.committee, genesisID: net.genesis.id, verifier: verifier)
        let new = Validator(committee: next, root: .root(of: root), verifier: verifier)
        let oldVote = vote(key: 0, as: 0, in: net.committee, view: 12, block: root.id)
        #expect(rejection { try old.validate(oldVote) } == nil)
        #expect(rejection { try new.validate(oldVote) } == .badSignature(12, signer: 0))
        #expect(rejection { try new.validate(vote(key: 0, as: 0, in: next, view: 12, block: root.id)) } == nil)
    }

    @Test func theRootQCIsTheOnlyCertificateAtOrBelowTheEpochsRoot() {
        let root = chain.root
        let v = Validator(committee: next, root: .root(of: root), verifier: verifier)
        #expect(rejection { try v.validate(QuorumCertificate.root(of: root)) } == nil)
        // Even a QC every new member signed, if it is for a view at or below the root's.
        let signed = qc(next, keys: [0: 0, 1: 1, 2: 2, 3: 4], view: root.view, block: root.id)
        #expect(rejection { try v.validate(signed) } == .invalidGenesisQC)
        #expect(rejection { try v.validate(QuorumCertificate.genesis(net.genesis.id)) } == .invalidGenesisQC)
        // The epoch's first proposal: from its leader, on the root QC, one view later.
        let first = Block(view: root.view + 1, height: root.height + 1, parentID: root.id, qc: .root(of: root), lastViewTC: nil,
                          proposer: next.leader(of: root.view + 1), timestampMs: 0, executedHeight: 0, executedStateHash: .zero,
                          payload: [])
        let leaderKey = [0, 1, 2, 4][Int(first.proposer)]
        let proposal = Proposal(block: first, signature: vote(key: leaderKey, as: first.proposer, in: next, view: first.view,
                                                                 block: first.id).signature)
        #expect(rejection { try v.validate(proposal) } == nil)
    }

    @Test func aRemovedMembersSignaturesCertifyNothingAfterTheSwitch() {
        let v = Validator(committee: next, root: .root(of: chain.root), verifier: verifier)
        let block = SHA256Digest.hash([1])
        // Removed key 3 signing as index 3 (the new member's place), in the new domain.
        #expect(rejection { try v.validate(vote(key: 3, as: 3, in: next, view: 12, block: block)) } == .badSignature(12, signer: 3))
        // ... or as an index the new committee does not have.
        #expect(rejection { try v.validate(vote(key: 3, as: 4, in: next, view: 12, block: block)) } == .notAVoter(4))
        // A QC counting it at its old weight: the signature at index 3 is not the new member's.
        #expect(rejection { try v.validate(qc(next, keys: [0: 0, 1: 1, 3: 3], view: 12, block: block)) }
                == .badSignature(12, signer: 3))
        // Without it, two of four is no quorum.
        #expect(rejection { try v.validate(qc(next, keys: [0: 0, 1: 1], view: 12, block: block)) }
                == .insufficientWeight(12, weight: 2, needed: "> 2/3 of 4"))
        // The old committee's QC of a later view (the old epoch's suffix) is refused too.
        #expect(rejection { try v.validate(net.qc(view: 12, block: block)) } == .badSignature(12, signer: 0))
    }

    @Test func theSwitchRecordVerifiesAgainstTheCommitteeBeforeAndRoundTrips() throws {
        let (root, child, childQC) = chain
        let change = EpochChange(committee: next, root: root, above: [child], qc: childQC)
        try change.verify(previous: net.committee, verifier: verifier)
        let decoded = try EpochChange.decode(change.encoded)
        #expect(decoded.root.id == root.id && decoded.above.map(\.id) == [child.id] && decoded.qc == childQC)
        #expect(decoded.committee.epoch == 1 && decoded.committee.members == next.members)
        #expect(decoded.committee.signingDomain == next.signingDomain)
        try decoded.verify(previous: net.committee, verifier: verifier)
        // Signed by the new committee instead: refused.
        let wrongQC = qc(next, keys: [0: 0, 1: 1, 2: 2, 3: 4], view: 11, block: child.id)
        #expect(throws: FinalityProofError.self) {
            try EpochChange(committee: next, root: root, above: [child], qc: wrongQC).verify(previous: net.committee, verifier: verifier)
        }
        // Not a 2-chain over the root (the child two views later).
        let late = net.block(view: 12, height: 4, parent: root)
        #expect(throws: FinalityProofError.self) {
            try EpochChange(committee: next, root: root, above: [late], qc: net.qc(view: 12, block: late.id))
                .verify(previous: net.committee, verifier: verifier)
        }
        // A record that skips an epoch.
        let skipping = EpochChange(committee: try next.following(members: next.members), root: root, above: [child], qc: childQC)
        #expect(throws: FinalityProofError.self) { try skipping.verify(previous: net.committee, verifier: verifier) }
        // A damaged encoding is an error, not a crash.
        #expect(throws: WireDecodingError.self) { try EpochChange.decode(Array(change.encoded.dropLast(5))) }
    }

    @Test func aFinalityProofOfALaterEpochSaysSoAndVerifiesThroughTheSwitchRecords() throws {
        let (root, child, childQC) = chain
        let change = EpochChange(committee: next, root: root, above: [child], qc: childQC)
        // Epoch 1's blocks above the root: b1 (root QC), b2, b3 with consecutive views.
        let keys: [ValidatorIndex: Int] = [0: 0, 1: 1, 2: 2, 3: 4]
        let b1 = Block(view: 11, height: 4, parentID: root.id, qc: .root(of: root), lastViewTC: nil, proposer: 0,
                       timestampMs: 0, executedHeight: 0, executedStateHash: .zero, payload: [1])
        let b2 = Block(view: 12, height: 5, parentID: b1.id, qc: qc(next, keys: keys, view: 11, block: b1.id), lastViewTC: nil,
                       proposer: 0, timestampMs: 0, executedHeight: 0, executedStateHash: .zero, payload: [2])
        let proof = FinalityProof(chainID: next.chainID, epoch: 1, headers: [b1.header, b2.header],
                                  qc: qc(next, keys: keys, view: 12, block: b2.id))
        #expect(try proof.verify(genesis: net.committee, changes: [change], verifier: verifier).id == b1.id)
        // Its encoding names the epoch (version 2) and round-trips; epoch 0's stays version 1.
        #expect(proof.encoded.first == FinalityProof.epochVersion)
        #expect(try FinalityProof.parse(proof.encoded) == proof)
        let old = FinalityProof(chainID: net.committee.chainID, headers: [root.header, child.header], qc: childQC)
        #expect(old.encoded.first == FinalityProof.version)
        #expect(try old.verify(committee: net.committee, verifier: verifier).id == root.id)
        // Without the switch record, or with the genesis committee alone, it does not verify.
        #expect(throws: FinalityProofError.unknownEpoch(1, known: 0)) {
            try proof.verify(genesis: net.committee, changes: [], verifier: verifier)
        }
        #expect(throws: FinalityProofError.unknownEpoch(1, known: 0)) { try proof.verify(committee: net.committee, verifier: verifier) }
        // A forged switch record (its QC signed by the new committee) breaks the chain.
        let forged = EpochChange(committee: next, root: root, above: [child],
                                 qc: qc(next, keys: keys, view: 11, block: child.id))
        #expect(throws: FinalityProofError.self) { try proof.verify(genesis: net.committee, changes: [forged], verifier: verifier) }
        // A proof claiming epoch 0 for epoch 1's signatures fails on them.
        let relabelled = FinalityProof(chainID: next.chainID, headers: proof.headers, qc: proof.qc)
        #expect(throws: FinalityProofError.self) { try relabelled.verify(committee: net.committee, verifier: verifier) }
    }

    @Test func newcomersLeadNoneOfTheEpochsFirstViews() {
        let graced = next.startingAfter(rootView: 10, previous: net.committee)
        let newcomer = next.index(of: net.keys[4].publicKey)!
        for view in 11...(10 + Committee.newcomerGraceViews) { #expect(graced.leader(of: view) != newcomer) }
        // After the grace, the schedule is the committee's own.
        let later = (10 + Committee.newcomerGraceViews + 1)...(10 + Committee.newcomerGraceViews + 200)
        #expect(later.allSatisfy { graced.leader(of: $0) == next.leader(of: $0) })
        #expect(later.contains { graced.leader(of: $0) == newcomer })
        // No newcomer (a reweight): nothing changes.
        let reweighted = try! net.committee.following(members: net.committee.members)
        let same = reweighted.startingAfter(rootView: 10, previous: net.committee)
        #expect((11...40).allSatisfy { same.leader(of: $0) == reweighted.leader(of: $0) })
    }

    @Test func safetyDataOfAnEarlierEpochBoundsNothingInTheNext() throws {
        let data = SafetyData(highestVotedView: 20, highestTimeoutView: 21, epoch: 0)
        let core = EventHandler(committee: next, root: chain.root, signer: net.signer(0), verifier: verifier,
                                recovery: EventHandler.Recovery(safety: data, finalized: chain.root))
        #expect(core.safety.data.epoch == 1 && core.safety.data.highestVotedView == 0)
        #expect(core.currentView == chain.root.view + 1)
        // Records written before epochs existed decode as epoch 0's.
        var writer = WireWriter()
        writer.u64(20); writer.u64(21); writer.bool(false); writer.u64(21); writer.u64(0)
        #expect(try SafetyData.decode(writer.bytes) == SafetyData(highestVotedView: 20, highestTimeoutView: 21))
        #expect(try SafetyData.decode(SafetyData(highestVotedView: 3, epoch: 4).encoded).epoch == 4)
    }
}
