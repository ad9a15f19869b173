import BatonCrypto
@testable import Consensus
import Simulation
import BatonTestSupport
import Testing

@Suite(.blockingWork) struct CodecTests {
    let t = TestCommittee()

    /// One of every message kind, with the optional parts present.
    var samples: [Message] {
        let b1 = t.block(view: 1, height: 1, parent: t.genesis, qc: t.genesisQC, payload: Array("hello".utf8))
        let qc1 = t.qc(view: 1, block: b1.id)
        let tc2 = t.tc(view: 2, highQC: qc1)
        let b3 = t.block(view: 3, height: 2, parent: b1, qc: qc1, tc: tc2, payload: [UInt8](repeating: 7, count: 300))
        return [
            .proposal(t.proposal(b1)),
            .proposal(t.proposal(b3)),
            .vote(t.vote(2, view: 3, block: b3.id)),
            .timeout(t.timeout(1, view: 3, highQC: qc1, tc: tc2)),
            .timeout(t.timeout(0, view: 2, highQC: qc1)),
            .blockRequest(BlockRequest(requestID: 9, target: .byID(b3.id, ancestors: 16))),
            .blockRequest(BlockRequest(requestID: 10, target: .finalized(fromHeight: 5, count: 100))),
            .blockResponse(BlockResponse(requestID: 9, blocks: [b1, b3], lastBlockQC: t.qc(view: 3, block: b3.id))),
            .blockResponse(BlockResponse(requestID: 11, blocks: [], lastBlockQC: nil)),
            .transactions(TransactionBatch([Array("a=1".utf8), [], [0xFF]])),
        ]
    }

    @Test func everyMessageRoundTrips() throws {
        for message in samples {
            let bytes = message.encoded
            #expect(try Message.decode(bytes) == message)
            #expect(try Message.decode(bytes).encoded == bytes)
        }
    }

    @Test func blockIDIsRecomputedAndCoversEveryField() throws {
        guard case .proposal(let p) = samples[1] else { return }
        let decoded = try Block.decode(p.block.encoded)
        #expect(decoded.id == p.block.id)
        #expect(decoded.payloadHash == SHA256Digest.hash(p.block.payload))
        var bytes = p.block.encoded
        bytes[bytes.count - 1] ^= 1  // a payload byte
        #expect(try Block.decode(bytes).id != p.block.id)
    }

    /// The three exhaustive codec tests below run off the cooperative pool:
    /// tenths of a second of CPU alone, seconds in a loaded suite.
    @Test func everyTruncationIsATypedError() async {
        let samples = self.samples
        let untyped = await offThePool {
            samples.enumerated().flatMap { sample, message in
                let bytes = message.encoded
                return (0..<bytes.count).filter { length in
                    do { _ = try Message.decode(Array(bytes[0..<length])); return true } catch { return !(error is WireDecodingError) }
                }.map { "sample \(sample) cut at \($0) of \(bytes.count) bytes" }
            }
        }
        #expect(untyped.isEmpty, "\(untyped.prefix(5))")
    }

    @Test func extendedInputIsRefused() {
        for message in samples {
            let error = #expect(throws: WireDecodingError.self) { try Message.decode(message.encoded + [0]) }
            #expect(error?.kind == .trailingBytes)
        }
    }

    @Test func bitFlipsNeverTrapAndDecodeCanonicallyOrFail() async {
        let samples = self.samples
        let (decodedCount, problems) = await offThePool {
            var decodedCount = 0
            var problems: [String] = []
            for (sample, message) in samples.enumerated() {
                let bytes = message.encoded
                for index in bytes.indices {
                    for bit in [0, 3, 7] {
                        var flipped = bytes
                        flipped[index] ^= 1 << UInt8(bit)
                        guard let decoded = try? Message.decode(flipped) else { continue }
                        decodedCount += 1
                        // Canonical: one encoding per value; and a flip never decodes to the original.
                        if decoded.encoded != flipped || decoded == message {
                            problems.append("sample \(sample): bit \(bit) of byte \(index)")
                        }
                    }
                }
            }
            return (decodedCount, problems)
        }
        #expect(problems.isEmpty, "\(problems.prefix(5))")
        #expect(decodedCount > 0, "no flip decoded: the check above saw nothing")
    }

    /// The claim is that this returns at all: a trap would end the test process.
    @Test func randomBytesNeverTrap() async {
        await offThePool {
            var rng = SeededRandom(seed: 42)
            for _ in 0..<20_000 {
                let count = Int(rng.next() % 300)
                var bytes = (0..<count).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
                if bytes.count >= 2, rng.next() % 2 == 0 { bytes[0] = Message.version; bytes[1] = UInt8(1 + rng.next() % 6) }
                _ = try? Message.decode(bytes)
            }
        }
    }

    @Test func boundsAreCheckedBeforeAllocation() {
        // A payload claiming 4 GiB, a batch claiming 65535 transactions, a signer set past the limit.
        var w = WireWriter()
        w.u8(Message.version); w.u8(6); w.u16(65_535)
        #expect((try? Message.decode(w.bytes)) == nil)
        let error = #expect(throws: WireDecodingError.self) {
            var r = WireReader([0xFF, 0xFF, 0xFF, 0xFF] + [1, 2, 3])
            _ = try r.blob("payload", max: 1024)
        }
        #expect(error?.kind == .tooLarge)
        var limits = WireLimits()
        limits.messageBytesMax = 10
        #expect(throws: WireDecodingError.self) { try Message.decode(samples[0].encoded, limits: limits) }
        var s = WireWriter(); s.u16(5000)
        #expect(throws: WireDecodingError.self) { try SignerSet.decode(s.bytes) }
    }

    @Test func unknownVersionAndKindAreNamed() {
        #expect((#expect(throws: WireDecodingError.self) { try Message.decode([9, 1]) })?.kind == .unknownVersion)
        #expect((#expect(throws: WireDecodingError.self) { try Message.decode([1, 99]) })?.kind == .unknownKind)
    }

    @Test func aVoteSignatureIsNotATimeoutSignature() {
        let verifier = Secp256k1Verifier()
        let key = PrivateKey.generate()
        let chain = t.committee.chainID
        let id = SHA256Digest.hash([5])
        let vote = Secp256k1Signer(key).sign(SigningDomain.voteDigest(domain: chain, view: 5, blockID: id))
        #expect(verifier.verify(vote, digest: SigningDomain.voteDigest(domain: chain, view: 5, blockID: id), publicKey: key.publicKey))
        #expect(!verifier.verify(vote, digest: SigningDomain.timeoutDigest(domain: chain, view: 5, highQCView: 4), publicKey: key.publicKey))
        let otherChain = SHA256Digest.hash([1])
        #expect(!verifier.verify(vote, digest: SigningDomain.voteDigest(domain: otherChain, view: 5, blockID: id), publicKey: key.publicKey))
    }

    @Test func safetyAndLivenessDataRoundTrip() throws {
        let qc = t.qc(view: 4, block: SHA256Digest.hash([4]))
        let data = SafetyData(highestVotedView: 7, highestTimeoutView: 8, lastTimeout: t.timeout(0, view: 8, highQC: qc, tc: t.tc(view: 7, highQC: qc)))
        #expect(try SafetyData.decode(data.encoded) == data)
        let live = LivenessData(currentView: 9, highestQC: qc, lastViewTC: t.tc(view: 8, highQC: qc))
        #expect(try LivenessData.decode(live.encoded) == live)
    }
}
