import BatonCrypto
import Consensus
import BatonTestSupport
import Testing

/// A block's host payload (host-level transactions, e.g. upgrade approvals)
/// changes nothing for blocks without one: same bytes, same ids, so stored
/// chains and finality proofs from before it stay valid.
@Suite(.blockingWork) struct HostPayloadTests {
    let chainID = Bytes32([UInt8](repeating: 0x11, count: 32))!

    func block(host: [UInt8]) -> Block {
        let genesis = Block.genesis(chainID: chainID, timestampMs: 1_700_000_000_000)
        return Block(view: 1, height: 1, parentID: genesis.id, qc: .genesis(genesis.id), lastViewTC: nil, proposer: 2,
                     timestampMs: 1_700_000_000_500, executedHeight: 0, executedStateHash: .zero, payload: [1, 2, 3],
                     includedTransactions: [SHA256Digest.hash([9])], hostPayload: host)
    }

    @Test func aBlockWithoutHostPayloadKeepsItsOldId() {
        // Computed independently from the encoding as it was before host
        // payloads (flags byte = the old boolean 0): SHA-256 of view, height,
        // parent, genesis QC, 0, proposer, timestamp, executed height and hash,
        // no transactions, SHA-256 of the empty payload.
        #expect(Block.genesis(chainID: chainID, timestampMs: 1_700_000_000_000).id.hex
            == "65b95dc33e5dff8c21235db52d43793b328cda307613b0728128869c1684079e")
        let plain = block(host: [])
        #expect(plain.hostPayloadHash == nil && plain.header.hostPayloadHash == nil)
        #expect(!plain.encoded.isEmpty && (try? Block.decode(plain.encoded))?.hostPayload == [])
    }

    @Test func aHostPayloadRoundTripsAndEntersTheId() throws {
        let plain = block(host: [])
        let carrying = block(host: Array("approval".utf8))
        #expect(carrying.id != plain.id, "the id commits to the host payload")
        #expect(block(host: Array("approvaL".utf8)).id != carrying.id)
        let decoded = try Block.decode(carrying.encoded)
        #expect(decoded.id == carrying.id && decoded.hostPayload == Array("approval".utf8))
        #expect(decoded.hostPayloadHash == SHA256Digest.hash(Array("approval".utf8)))
        // The header (what finality proofs carry) keeps the hash and the id.
        let header = try BlockHeader.decode(carrying.header.encoded)
        #expect(header.id == carrying.id && header.hostPayloadHash == carrying.hostPayloadHash)
        #expect(try BlockHeader.decode(plain.header.encoded).id == plain.id)
    }

    @Test func malformedFlagsAndEmptyFlaggedPayloadsAreRefused() {
        var bytes = block(host: Array("x".utf8)).encoded
        // The flags byte follows view, height, parent and the genesis QC (8+8+32 + 8+32+2).
        let flags = 8 + 8 + 32 + 8 + 32 + 2
        #expect(bytes[flags] == 2)
        bytes[flags] = 4
        #expect(throws: WireDecodingError.self) { try Block.decode(bytes) }
        // Flagged, but the host blob is empty: refused (an empty one is never flagged).
        var empty = block(host: []).encoded
        empty[flags] = 2
        empty += [0, 0, 0, 0]
        #expect(throws: WireDecodingError.self) { try Block.decode(empty) }
    }
}
