import BatonCrypto
import Checkpointing
import Consensus
import Foundation
import ProofOfWorkChain
import Testing

/// The proof-of-work chain's fork choice and validity rules, with real
/// certificates from a real-key federation and real (easy) proof of work.
@Suite struct ChainStateTests {
    static let bits: UInt8 = 4
    let federation = Federation()

    func mine(on parent: ChainBlock, tag: String, certificate: [UInt8] = [], checkpoint: Checkpoint? = nil) -> ChainBlock {
        let transactions = [Array(tag.utf8)]
        var header = ChainBlock.Header(
            parent: parent.hash, height: parent.height + 1, timestampMs: parent.header.timestampMs + 1_000,
            difficultyBits: Self.bits, nonce: 0,
            checkpointHeight: checkpoint?.height ?? parent.header.checkpointHeight,
            checkpointHash: checkpoint?.hash ?? parent.header.checkpointHash,
            certificateHash: ChainBlock.certificateHash(certificate), txRoot: ChainBlock.merkleRoot(transactions), miner: 0)
        while !ChainBlock.meets(header.hash, bits: Self.bits) { header.nonce += 1 }
        return ChainBlock(header: header, certificate: certificate, transactions: transactions)
    }

    /// `count` blocks on top of `base`.
    func branch(from base: ChainBlock, count: Int, tag: String) -> [ChainBlock] {
        var blocks: [ChainBlock] = []
        for i in 0..<count { blocks.append(mine(on: blocks.last ?? base, tag: "\(tag)-\(i)")) }
        return blocks
    }

    var verify: (ChainBlock) throws(CheckpointCertificateError) -> Checkpoint {
        let committee = federation.committee
        return { block throws(CheckpointCertificateError) in
            try CheckpointCertificate.verify(block.certificate, committee: committee, verifier: Secp256k1Verifier()).checkpoint
        }
    }

    func fresh() -> ChainState { ChainState(genesis: ChainBlock.genesis(name: "test"), difficultyBits: Self.bits) }

    @Test func theMostWorkWinsWithoutCheckpointsAndAReorgIsCounted() {
        var state = fresh()
        let honest = branch(from: state.genesis, count: 5, tag: "honest")
        for block in honest { _ = state.add(block, verify: verify) }
        #expect(state.tip == honest[4].hash)
        let attack = branch(from: honest[0], count: 8, tag: "attack")
        for block in attack { _ = state.add(block, verify: verify) }
        #expect(state.tip == attack[7].hash)
        #expect(state.bestBlock(at: 3)?.hash == attack[1].hash)
        #expect(state.reorgs == 1 && state.deepestReorg == 4)
    }

    @Test func aCertifiedCheckpointMakesAHeavierConflictingBranchInvalid() throws {
        var state = fresh()
        let honest = branch(from: state.genesis, count: 6, tag: "honest")
        for block in honest { _ = state.add(block, verify: verify) }
        let checkpoint = Checkpoint(height: 3, hash: honest[2].hash)
        let certificate = federation.certificate(checkpoint).encoded
        #expect(try state.addCheckpoint(checkpoint, certificate: certificate).get() == false)
        let attack = branch(from: honest[0], count: 12, tag: "attack")
        var outcomes: [ChainState.AddOutcome] = []
        for block in attack { outcomes.append(state.add(block, verify: verify)) }
        #expect(state.tip == honest[5].hash)
        // Height 2 is still compatible (below the checkpoint); from 3 on the branch contradicts it.
        #expect(outcomes[0] == .added([attack[0]], tipChanged: false))
        guard case .refused(let reason) = outcomes[1] else { Issue.record("height 3 of the attack was not refused"); return }
        #expect(reason.contains("conflicts with certified checkpoint #3"))
        #expect(state.refusedBlocks >= 1)
        // A second checkpoint contradicting the first is refused.
        let contradiction = Checkpoint(height: 3, hash: attack[1].hash)
        #expect(throws: CheckpointRefusal.self) {
            try state.addCheckpoint(contradiction, certificate: federation.certificate(contradiction).encoded).get()
        }
    }

    @Test func aBranchCarryingAMoreRecentCheckpointWinsDespiteLessWork() throws {
        var state = fresh()
        let trunk = branch(from: state.genesis, count: 4, tag: "trunk")
        for block in trunk { _ = state.add(block, verify: verify) }
        let checkpoint = Checkpoint(height: 2, hash: trunk[1].hash)
        let certificate = federation.certificate(checkpoint).encoded
        // Longer branch without the certificate; shorter one carrying it.
        let heavy = branch(from: trunk[3], count: 6, tag: "heavy")
        for block in heavy { _ = state.add(block, verify: verify) }
        #expect(state.tip == heavy[5].hash)
        let carrier = mine(on: trunk[3], tag: "carrier", certificate: certificate, checkpoint: checkpoint)
        #expect(state.add(carrier, verify: verify) == .added([carrier], tipChanged: true))
        #expect(state.tip == carrier.hash)
        #expect(state.latestCheckpoint == checkpoint)
        // The miner's next template carries nothing new: the tip carries it.
        #expect(state.certificateToCarry == nil)
    }

    @Test func badCertificatesAndUnbackedClaimsAreRefused() throws {
        var state = fresh()
        let trunk = branch(from: state.genesis, count: 3, tag: "trunk")
        for block in trunk { _ = state.add(block, verify: verify) }
        let checkpoint = Checkpoint(height: 2, hash: trunk[1].hash)
        var certificate = federation.certificate(checkpoint).encoded
        certificate[certificate.count - 1] ^= 1
        guard case .refused(let reason) = state.add(mine(on: trunk[2], tag: "bad", certificate: certificate, checkpoint: checkpoint),
                                                   verify: verify) else {
            Issue.record("a block with a tampered certificate was accepted"); return
        }
        #expect(reason.contains("bad signature"))
        guard case .refused(let claim) = state.add(mine(on: trunk[2], tag: "claim", checkpoint: checkpoint), verify: verify) else {
            Issue.record("a block claiming a checkpoint without a certificate was accepted"); return
        }
        #expect(claim.contains("without introducing a certificate"))
        // A certificate for a block that is not an ancestor.
        let elsewhere = branch(from: state.genesis, count: 2, tag: "elsewhere")
        let foreign = Checkpoint(height: 2, hash: elsewhere[1].hash)
        let foreignBlock = mine(on: trunk[2], tag: "foreign", certificate: federation.certificate(foreign).encoded, checkpoint: foreign)
        guard case .refused(let notAncestor) = state.add(foreignBlock, verify: verify) else {
            Issue.record("a certificate for a non-ancestor was accepted"); return
        }
        #expect(notAncestor.contains("not for an ancestor"))
        // Too little work.
        var weak = mine(on: trunk[2], tag: "weak").header
        while ChainBlock.meets(weak.hash, bits: Self.bits) { weak.nonce += 1 }
        #expect(state.add(ChainBlock(header: weak, certificate: [], transactions: [Array("weak".utf8)]), verify: verify)
            == .refused("insufficient proof of work"))
    }

    @Test func orphansConnectWhenTheirParentArrives() {
        var state = fresh()
        let blocks = branch(from: state.genesis, count: 4, tag: "o")
        #expect(state.add(blocks[3], verify: verify) == .orphan(missing: blocks[2].hash))
        #expect(state.add(blocks[2], verify: verify) == .orphan(missing: blocks[1].hash))
        #expect(state.add(blocks[0], verify: verify) == .added([blocks[0]], tipChanged: true))
        #expect(state.add(blocks[1], verify: verify) == .added([blocks[1], blocks[2], blocks[3]], tipChanged: true))
        #expect(state.tip == blocks[3].hash && state.orphansHeld == 0)
    }

    @Test func theStoreReloadsTheSameChainAndCheckpoints() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("powchain-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var state = fresh()
        let checkpoint: Checkpoint
        do {
            let store = try ChainStore(directory: directory)
            let trunk = branch(from: state.genesis, count: 5, tag: "stored")
            checkpoint = Checkpoint(height: 3, hash: trunk[2].hash)
            for block in trunk {
                _ = state.add(block, verify: verify)
                try store.save(block)
            }
            let certificate = federation.certificate(checkpoint).encoded
            _ = state.addCheckpoint(checkpoint, certificate: certificate)
            try store.save(certificate: certificate, for: checkpoint)
        }
        let (blocks, certificates) = try ChainStore(directory: directory).load()
        var reloaded = fresh()
        for block in blocks { _ = reloaded.add(block, verify: verify) }
        for certificate in certificates {
            let verified = try CheckpointCertificate.verify(certificate, committee: federation.committee, verifier: Secp256k1Verifier())
            _ = reloaded.addCheckpoint(verified.checkpoint, certificate: certificate)
        }
        #expect(reloaded.tip == state.tip && reloaded.height == 5)
        #expect(reloaded.latestCheckpoint == checkpoint)
    }
}
