import BatonCrypto
@_spi(Testing) import Consensus

/// What a Byzantine node does to the messages its own (honest) core sends.
extension Simulator {
    /// The messages actually sent, with their targets (nil: everyone).
    mutating func distort(_ message: Message, from i: Int, to member: ValidatorIndex?) -> [(ValidatorIndex?, Message)] {
        nodes[i].seen.append(message)
        if nodes[i].seen.count > 64 { nodes[i].seen.removeFirst() }
        guard let behavior = nodes[i].behavior else { return [(member, message)] }
        let signer = nodes[i].signer
        let chain = committee(of: i).signingDomain
        switch behavior {
        case .twins:
            return [(member, message)]
        case .silent, .leakedKey:
            return []
        case .crashed, .flapping:
            return isDown(i) ? [] : [(member, message)]
        case .withholdingProposals:
            if case .proposal = message { return [] }
            return [(member, message)]
        case .divergentApp:
            return [(member, message)]
        case .wrongStateHash:
            guard case .proposal(let proposal) = message else { return [(member, message)] }
            let b = proposal.block
            let bad = b.altered(executedStateHash: SHA256Digest.hash(b.executedStateHash.bytes))
            return [(member, .proposal(.forged(bad, signer: signer, chainID: chain)))]
        case .withholding:
            if case .vote = message { return [] }
            if case .timeout = message { return [] }
            return [(member, message)]
        case .invalidSignatures:
            return [(member, corrupted(message))]
        case .doubleVotes:
            guard case .vote(let vote) = message else { return [(member, message)] }
            let other = SHA256Digest.hash(vote.blockID.bytes)
            let digest = SigningDomain.voteDigest(domain: chain, view: vote.view, blockID: other)
            let second = Vote(view: vote.view, blockID: other, signer: vote.signer, signature: signer.sign(digest))
            return [(member, message), (member, .vote(second))]
        case .equivocatingLeader:
            guard case .proposal(let proposal) = message else { return [(member, message)] }
            let signed = proposal.twin(payloadSuffix: Array("twin".utf8), signer: signer, chainID: chain)
            // Half the members get one proposal first, half the other; then
            // each gets the other one too (the honest rule: vote for the first only).
            var out: [(ValidatorIndex?, Message)] = []
            for m in 0..<committee(of: i).count where ValidatorIndex(m) != nodes[i].member {
                let (first, second) = m % 2 == 0 ? (message, Message.proposal(signed)) : (.proposal(signed), message)
                out.append((ValidatorIndex(m), first))
                out.append((ValidatorIndex(m), second))
            }
            return out
        case .spam:
            let far = (views[i] ?? 0) + 10_000 + rng.next() % 1_000
            let qc = QuorumCertificate.genesis(setup.genesis.id)
            let timeout = TimeoutObject(view: far, highQC: qc, lastViewTC: nil, signer: nodes[i].member,
                                        signature: signer.sign(SigningDomain.timeoutDigest(domain: chain, view: far, highQCView: 0)))
            let vote = Vote(view: far, blockID: SHA256Digest.hash([UInt8(far % 256)]), signer: nodes[i].member,
                            signature: signer.sign(SigningDomain.voteDigest(domain: chain, view: far, blockID: .zero)))
            return [(member, message), (nil, .timeout(timeout)), (nil, .vote(vote))]
        case .replay:
            var out: [(ValidatorIndex?, Message)] = [(member, message)]
            if let old = nodes[i].seen.randomElement(using: &rng), rng.chance(500) { out.append((nil, old)) }
            return out
        case .badTC:
            guard case .proposal(let proposal) = message else { return [(member, message)] }
            let b = proposal.block
            // Missing TC where one is needed, or a TC where none is.
            let tc: TimeoutCertificate? = b.lastViewTC == nil ? fakeTC(view: b.view - 1, highQC: b.qc, committee: committee(of: i)) : nil
            return [(member, .proposal(.forged(b.altered(lastViewTC: .some(tc)), signer: signer, chainID: chain)))]
        }
    }

    /// A crashed member is down from `Scenario.faultStartMs` on; a flapping
    /// one for the first half of each `Scenario.flapPeriodMs` after that.
    /// Down, it sends and answers nothing (what it receives changes no one).
    func isDown(_ i: Int) -> Bool {
        let start = Scenario.faultStartMs
        switch nodes[i].behavior {
        case .silent: return true
        case .crashed: return now >= start
        case .flapping: return now >= start && (now - start) % Scenario.flapPeriodMs < Scenario.flapPeriodMs / 2
        default: return false
        }
    }

    func corrupted(_ message: Message) -> Message {
        func flip(_ s: Signature) -> Signature {
            var bytes = s.bytes
            bytes[5] ^= 0x40
            return Signature(bytes)!
        }
        switch message {
        case .vote(let v): return .vote(Vote(view: v.view, blockID: v.blockID, signer: v.signer, signature: flip(v.signature)))
        case .timeout(let t):
            return .timeout(TimeoutObject(view: t.view, highQC: t.highQC, lastViewTC: t.lastViewTC, signer: t.signer,
                                          signature: flip(t.signature)))
        case .proposal(let p): return .proposal(Proposal(block: p.block, signature: flip(p.signature)))
        default: return message
        }
    }

    /// A TC signed by nobody in particular: only a Byzantine node would send it.
    func fakeTC(view: View, highQC: QuorumCertificate, committee: Committee) -> TimeoutCertificate {
        let signers = SignerSet(capacity: committee.count, members: [0])
        let sig = setup.signer(0).sign(SigningDomain.timeoutDigest(domain: committee.signingDomain, view: view,
                                                                   highQCView: highQC.view))
        return TimeoutCertificate(view: view, highQC: highQC, signers: signers, highQCViews: [highQC.view], signatures: [sig])
    }
}
