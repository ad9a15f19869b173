import BatonCrypto
import Checkpointing
import Consensus
import Testing

/// A 4-member committee with real secp256k1 keys, and a finalized Baton block
/// carrying a checkpoint: B1 (view 1) ← B2 (view 2) certified by QC(B2).
struct Federation {
    let keys = (0..<4).map { _ in PrivateKey.generate() }
    let committee: Committee
    let genesis: Block

    init(chainID: Bytes32 = SHA256Digest.hash(Array("checkpointing-tests".utf8))) {
        committee = try! Committee(chainID: chainID, members: keys.map { Committee.Member(publicKey: $0.publicKey, weight: 1) },
                                   leaderSeed: .zero)
        genesis = Block.genesis(chainID: chainID, timestampMs: 0)
    }

    func qc(view: View, block: BlockID, signers: [Int] = [0, 1, 2]) -> QuorumCertificate {
        let set = SignerSet(capacity: keys.count, members: signers.map { ValidatorIndex($0) })
        let digest = SigningDomain.voteDigest(domain: committee.chainID, view: view, blockID: block)
        return QuorumCertificate(view: view, blockID: block, signers: set,
                                 signatures: set.map { Secp256k1Signer(keys[Int($0)]).sign(digest) })
    }

    func block(view: View, parent: Block, qcView: View? = nil, payload: [UInt8] = []) -> Block {
        let parentQC = parent.height == 0 ? QuorumCertificate.genesis(.zero) : qc(view: qcView ?? parent.view, block: parent.id)
        return Block(view: view, height: parent.height + 1, parentID: parent.id, qc: parentQC, lastViewTC: nil,
                     proposer: 0, timestampMs: 1_000 * view, executedHeight: 0, executedStateHash: .zero, payload: payload)
    }

    /// A certificate for `checkpoint` carried by B1, finalized through `chain`
    /// (B1 … Bn) and QC(Bn).
    func certificate(_ checkpoint: Checkpoint, views: [View] = [1, 2], finalSigners: [Int] = [0, 1, 2],
                     payload: [UInt8]? = nil) -> CheckpointCertificate {
        let payload = payload ?? checkpoint.payload
        var blocks = [block(view: views[0], parent: genesis, payload: payload)]
        for view in views.dropFirst() { blocks.append(block(view: view, parent: blocks.last!)) }
        let proof = FinalityProof(chainID: committee.chainID, headers: blocks.map(\.header),
                                  qc: qc(view: blocks.last!.view, block: blocks.last!.id, signers: finalSigners))
        return CheckpointCertificate(payload: payload, proof: proof)
    }
}

@Suite struct CheckpointCertificateTests {
    let federation = Federation()
    let checkpoint = Checkpoint(height: 42, hash: SHA256Digest.hash(Array("pow block 42".utf8)))

    func refusal(_ bytes: [UInt8], committee: Committee? = nil) -> String? {
        do {
            _ = try CheckpointCertificate.verify(bytes, committee: committee ?? federation.committee, verifier: Secp256k1Verifier())
            return nil
        } catch {
            return error.description
        }
    }

    @Test func aValidCertificateVerifiesOfflineAndRoundTrips() throws {
        let certificate = federation.certificate(checkpoint)
        let bytes = certificate.encoded
        #expect(try CheckpointCertificate.decode(bytes) == certificate)
        let verified = try CheckpointCertificate.verify(bytes, committee: federation.committee, verifier: Secp256k1Verifier())
        #expect(verified.checkpoint == checkpoint)
        #expect(verified.batonHeight == 1)
        #expect(verified.batonBlockID == certificate.proof.headers[0].id)
        #expect(certificate.json.contains("\"height\":42"))
        // Longer proofs: B1 is final through a descendant 2-chain (views 1, 3, 4).
        let longer = federation.certificate(checkpoint, views: [1, 3, 4])
        #expect(refusal(longer.encoded) == nil)
    }

    @Test func aChangedSignatureIsRefused() {
        let good = federation.certificate(checkpoint)
        var signatures = good.proof.qc.signatures
        var r = signatures[1].r.bytes
        r[5] ^= 0x01
        signatures[1] = Signature(r: Bytes32(r)!, s: signatures[1].s)
        let qc = QuorumCertificate(view: good.proof.qc.view, blockID: good.proof.qc.blockID, signers: good.proof.qc.signers,
                                   signatures: signatures)
        let bad = CheckpointCertificate(payload: good.payload,
                                        proof: FinalityProof(chainID: good.proof.chainID, headers: good.proof.headers, qc: qc))
        #expect(refusal(bad.encoded)?.hasPrefix("bad signature: signer 1") == true, "\(refusal(bad.encoded) ?? "accepted")")
    }

    @Test func aRemovedSignerLeavesTooLittleWeight() {
        let bad = federation.certificate(checkpoint, finalSigners: [0, 2])
        #expect(refusal(bad.encoded)?.hasPrefix("too little weight") == true, "\(refusal(bad.encoded) ?? "accepted")")
    }

    @Test func anotherChainsCommitteeRefusesIt() {
        let other = Federation(chainID: SHA256Digest.hash(Array("another chain".utf8)))
        let reason = refusal(federation.certificate(checkpoint).encoded, committee: other.committee)
        #expect(reason?.hasPrefix("wrong chain id") == true, "\(reason ?? "accepted")")
    }

    @Test func aChangedBlockOrPayloadIsRefused() {
        let good = federation.certificate(checkpoint)
        // Another checkpoint in the payload: it no longer hashes to the header's payload hash.
        let otherPayload = Checkpoint(height: 43, hash: checkpoint.hash).payload
        let swapped = CheckpointCertificate(payload: otherPayload, proof: good.proof)
        #expect(refusal(swapped.encoded)?.hasPrefix("tampered block") == true)
        // A header changed (its timestamp): its id changes, the child no longer extends it.
        let h = good.proof.headers[0]
        let edited = BlockHeader(view: h.view, height: h.height, parentID: h.parentID, qc: h.qc, lastViewTC: h.lastViewTC,
                                 proposer: h.proposer, timestampMs: h.timestampMs + 1, executedHeight: h.executedHeight,
                                 executedStateHash: h.executedStateHash, includedTransactions: h.includedTransactions,
                                 payloadHash: h.payloadHash)
        let tampered = CheckpointCertificate(payload: good.payload, proof: FinalityProof(
            chainID: good.proof.chainID, headers: [edited] + good.proof.headers.dropFirst(), qc: good.proof.qc))
        #expect(refusal(tampered.encoded)?.hasPrefix("tampered block: header 1") == true, "\(refusal(tampered.encoded) ?? "accepted")")
        // One flipped byte anywhere in the encoding is refused (never accepted, never a crash).
        let bytes = good.encoded
        for index in stride(from: 0, to: bytes.count, by: 7) {
            var flipped = bytes
            flipped[index] ^= 0x40
            #expect(refusal(flipped) != nil, "flipping byte \(index) was accepted")
        }
    }

    @Test func aChildThatIsNotTheNextViewIsNotATwoChain() {
        let bad = federation.certificate(checkpoint, views: [1, 3])
        #expect(refusal(bad.encoded)?.hasPrefix("not a 2-chain") == true, "\(refusal(bad.encoded) ?? "accepted")")
        let single = CheckpointCertificate(payload: checkpoint.payload, proof: FinalityProof(
            chainID: federation.committee.chainID, headers: [federation.certificate(checkpoint).proof.headers[0]],
            qc: federation.certificate(checkpoint).proof.qc))
        #expect(refusal(single.encoded)?.hasPrefix("not a 2-chain") == true)
    }

    @Test func anEmptyRoundCertifiesNothing() throws {
        let empty = federation.certificate(checkpoint, payload: [])
        #expect(refusal(empty.encoded)?.hasPrefix("not a checkpoint") == true, "\(refusal(empty.encoded) ?? "accepted")")
        #expect(throws: CheckpointCertificateError.self) { try Checkpoint.decode(payload: [1, 2, 3]) }
        #expect(try Checkpoint.decode(payload: []) == nil)
        #expect(try Checkpoint.decode(payload: checkpoint.payload) == checkpoint)
    }
}
