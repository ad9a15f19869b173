import BatonCrypto

/// A self-contained proof that a block is final, checkable offline by anyone
/// holding the committee's public keys (the checkpointing interpreter hands it
/// out inside its certificates).
///
/// `headers` is h0 … hn, each the parent of the next; hn certified by `qc`.
/// Commit rule (DESIGN §2, 2-chain): hn-1 is final because its child hn has
/// `view == hn-1.view + 1` and is certified; finality covers ancestors, so h0
/// is final. Both certificates the rule needs are checked: `qc` (for hn) and
/// hn.qc (for hn-1); the links below them are hashes.
///
/// `epoch` says which committee signed it (EP-2): the genesis committee in
/// epoch 0, after that the one a chain of switch records from the genesis
/// leads to (`verify(genesis:changes:verifier:)`).
///
/// Encoding (canonical, big-endian): version 1 — u8 version, 32-byte chain
/// id, u16 header count, the headers (`BlockHeader`), the QC — for epoch 0,
/// byte for byte as before epochs existed; version 2 adds the u64 epoch after
/// the chain id, for every later epoch.
public struct FinalityProof: Hashable, Sendable {
    public static let version: UInt8 = 1
    /// The version of a proof signed by a committee after the genesis one.
    public static let epochVersion: UInt8 = 2
    /// More headers than this is refused on decoding (bounded memory).
    public static let headersMax = 4_096

    public let chainID: Bytes32
    public let epoch: Epoch
    public let headers: [BlockHeader]
    public let qc: QuorumCertificate

    public init(chainID: Bytes32, epoch: Epoch = 0, headers: [BlockHeader], qc: QuorumCertificate) {
        self.chainID = chainID
        self.epoch = epoch
        self.headers = headers
        self.qc = qc
    }

    /// Verifies with the committee of the proof's epoch, found by walking
    /// `changes` (every switch record from epoch 1 on, in order) from
    /// `genesis`: each must verify under the committee before it.
    public func verify(genesis: Committee, changes: [EpochChange], verifier: any SignatureVerifier)
        throws(FinalityProofError) -> BlockHeader
    {
        var committee = genesis
        for change in changes where committee.epoch < epoch {
            try change.verify(previous: committee, verifier: verifier)
            committee = change.committee
        }
        guard committee.epoch == epoch else { throw .unknownEpoch(epoch, known: committee.epoch) }
        return try verify(committee: committee, verifier: verifier)
    }

    /// Checks every rule above; returns the header of the block proven final.
    public func verify(committee: Committee, verifier: any SignatureVerifier) throws(FinalityProofError) -> BlockHeader {
        guard chainID == committee.chainID else { throw .wrongChain(expected: committee.chainID, got: chainID) }
        guard epoch == committee.epoch else { throw .unknownEpoch(epoch, known: committee.epoch) }
        guard headers.count >= 2 else { throw .tooShort(headers.count) }
        for index in 1..<headers.count {
            let parent = headers[index - 1], child = headers[index]
            guard child.parentID == parent.id, child.qc.blockID == parent.id, child.height == parent.height + 1 else {
                throw .brokenLink(index: index)
            }
        }
        let certified = headers[headers.count - 1], final = headers[headers.count - 2]
        guard certified.view == final.view + 1, certified.qc.view == final.view else {
            throw .notTwoChain(finalView: final.view, childView: certified.view, childQCView: certified.qc.view)
        }
        guard qc.blockID == certified.id, qc.view == certified.view else { throw .qcNotForChild }
        // View 0 is genesis, which is final by definition and never proven.
        guard final.view > 0 else { throw .qcNotForChild }
        let validator = Validator(committee: committee, genesisID: .zero, verifier: verifier)
        do {
            try validator.validate(certified.qc)
            try validator.validate(qc)
        } catch {
            throw .certificate(error)
        }
        return headers[0]
    }
}

/// Why a finality proof is refused; each says what is wrong with it.
public enum FinalityProofError: Error, Hashable, Sendable, CustomStringConvertible {
    case malformed(WireDecodingError)
    case unsupportedVersion(UInt8)
    case wrongChain(expected: Bytes32, got: Bytes32)
    case tooShort(Int)
    case brokenLink(index: Int)
    case notTwoChain(finalView: View, childView: View, childQCView: View)
    case qcNotForChild
    case certificate(ValidationError)
    /// Signed by the committee of `epoch`; the committee given (or the chain
    /// of switch records given) reaches only `known`.
    case unknownEpoch(Epoch, known: Epoch)

    public var description: String {
        switch self {
        case .malformed(let error): "malformed finality proof: \(error)"
        case .unsupportedVersion(let v): "finality proof version \(v) is not supported (this build reads versions \(FinalityProof.version) and \(FinalityProof.epochVersion))"
        case .wrongChain(let expected, let got): "wrong chain id: the proof is for chain \(got.hex), the genesis is chain \(expected.hex)"
        case .tooShort(let n): "not a 2-chain: \(n) header(s), at least 2 are needed"
        case .brokenLink(let index): "tampered block: header \(index) does not extend header \(index - 1) (parent id, QC or height differ)"
        case .notTwoChain(let final, let child, let qcView):
            "not a 2-chain: the child is at view \(child) with a QC from view \(qcView), it must be view \(final + 1) certifying view \(final)"
        case .qcNotForChild: "not a 2-chain: the final quorum certificate does not certify the last header"
        case .unknownEpoch(let epoch, let known):
            "signed by the committee of epoch \(epoch), and the committees given reach epoch \(known): pass the switch records from the genesis up to it (GET /v1/committee/changes)"
        case .certificate(.insufficientWeight(let view, let weight, let needed)):
            "too little weight: the QC of view \(view) carries weight \(weight), more than \(needed) is needed"
        case .certificate(.badSignature(let view, let signer)): "bad signature: signer \(signer) in the QC of view \(view)"
        case .certificate(let error): "invalid quorum certificate: \(error)"
        }
    }
}

extension FinalityProof: WireCodable {
    public func encode(to writer: inout WireWriter) {
        writer.u8(epoch == 0 ? Self.version : Self.epochVersion)
        writer.bytes32(chainID)
        if epoch > 0 { writer.u64(epoch) }
        writer.u16(UInt16(headers.count))
        for header in headers { header.encode(to: &writer) }
        qc.encode(to: &writer)
    }

    public init(from reader: inout WireReader) throws(WireDecodingError) {
        let version = try reader.u8("proof.version")
        guard version == Self.version || version == Self.epochVersion else {
            throw WireDecodingError(.unknownVersion, field: "proof.version", detail: "version \(version)")
        }
        let chainID = try reader.bytes32("proof.chainID")
        let epoch = version == Self.epochVersion ? try reader.u64("proof.epoch") : 0
        guard version == Self.version || epoch > 0 else {
            throw WireDecodingError(.invalidValue, field: "proof.epoch", detail: "epoch 0 is written as version 1")
        }
        let count = try reader.count("proof.headers", max: Self.headersMax, minElementBytes: 64)
        var headers: [BlockHeader] = []
        for _ in 0..<count { headers.append(try BlockHeader(from: &reader)) }
        self.init(chainID: chainID, epoch: epoch, headers: headers, qc: try QuorumCertificate(from: &reader))
    }

    /// Decodes a proof, telling an unknown version apart from damage.
    public static func parse(_ bytes: [UInt8]) throws(FinalityProofError) -> FinalityProof {
        if let first = bytes.first, first != version, first != epochVersion { throw .unsupportedVersion(first) }
        do { return try decode(bytes) } catch { throw .malformed(error) }
    }
}
