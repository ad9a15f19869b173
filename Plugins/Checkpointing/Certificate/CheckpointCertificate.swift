import BatonCrypto
import Consensus

/// The checkpointed block plus the witness that the federation's decision on it
/// is final: the Baton block's payload (which carries the checkpoint and hashes
/// to the payload hash in the first header) and the host's `FinalityProof`
/// (headers up to the certified child under the 2-chain rule, and its QC).
/// Anyone with the committee's public keys checks one offline.
///
/// Encoding, version 1 (canonical, big-endian): the 4 bytes "BCRT", u8
/// version, u32-length-prefixed payload, u32-length-prefixed finality proof.
/// The interpreter plugin writes it from the two byte strings the host gives
/// it (payload and `finality_proof`), so the plugin needs no consensus code.
public struct CheckpointCertificate: Hashable, Sendable {
    public static let magic: [UInt8] = Array("BCRT".utf8)
    public static let version: UInt8 = 1
    /// A certificate larger than this is refused before it is parsed.
    public static let bytesMax = 1 << 20

    public let payload: [UInt8]
    public let proof: FinalityProof

    public init(payload: [UInt8], proof: FinalityProof) {
        self.payload = payload
        self.proof = proof
    }

    public var encoded: [UInt8] {
        var writer = WireWriter(capacity: 1024)
        writer.raw(Self.magic)
        writer.u8(Self.version)
        writer.blob(payload)
        writer.blob(proof.encoded)
        return writer.bytes
    }

    public static func decode(_ bytes: [UInt8]) throws(CheckpointCertificateError) -> CheckpointCertificate {
        guard bytes.count <= bytesMax else { throw .malformed("\(bytes.count) bytes; at most \(bytesMax)") }
        guard bytes.count >= 5, Array(bytes.prefix(4)) == magic else { throw .malformed("not a checkpoint certificate (no BCRT header)") }
        guard bytes[4] == version else { throw .unsupportedVersion(bytes[4]) }
        var reader = WireReader(Array(bytes.dropFirst(5)))
        let payload: [UInt8], proofBytes: [UInt8]
        do {
            payload = try reader.blob("certificate.payload", max: Checkpoint.encodedBytes)
            proofBytes = try reader.blob("certificate.proof", max: bytesMax)
            try reader.expectEnd("certificate")
        } catch {
            throw .malformed("\(error)")
        }
        do {
            return CheckpointCertificate(payload: payload, proof: try FinalityProof.parse(proofBytes))
        } catch {
            throw .proof(error)
        }
    }

    /// What a valid certificate proves.
    public struct Verified: Hashable, Sendable {
        public let checkpoint: Checkpoint
        /// The Baton block that carried it, and the chain it is final on.
        public let batonHeight: Height
        public let batonBlockID: BlockID
        public let batonView: View
        public let chainID: Bytes32
    }

    /// Checks the finality proof against `committee`, then that the payload is
    /// the first header's and carries a checkpoint.
    public func verify(committee: Committee, verifier: any SignatureVerifier) throws(CheckpointCertificateError) -> Verified {
        try verify(genesis: committee, changes: [], verifier: verifier)
    }

    /// With the committee changes since the genesis (`GET /v1/committee/changes`):
    /// a certificate of a later epoch verifies with that epoch's committee.
    public func verify(genesis committee: Committee, changes: [EpochChange], verifier: any SignatureVerifier)
        throws(CheckpointCertificateError) -> Verified
    {
        let header: BlockHeader
        do { header = try proof.verify(genesis: committee, changes: changes, verifier: verifier) } catch { throw .proof(error) }
        guard SHA256Digest.hash(payload) == header.payloadHash else {
            throw .tamperedPayload(height: header.height)
        }
        guard let checkpoint = try Checkpoint.decode(payload: payload) else {
            throw .notACheckpoint("the certified block at height \(header.height) carries no checkpoint (empty payload)")
        }
        return Verified(checkpoint: checkpoint, batonHeight: header.height, batonBlockID: header.id,
                        batonView: header.view, chainID: proof.chainID)
    }

    public static func verify(_ bytes: [UInt8], committee: Committee,
                              verifier: any SignatureVerifier) throws(CheckpointCertificateError) -> Verified {
        try decode(bytes).verify(committee: committee, verifier: verifier)
    }
}

/// Why a certificate is refused; each names the broken rule.
public enum CheckpointCertificateError: Error, Hashable, Sendable, CustomStringConvertible {
    case malformed(String)
    case unsupportedVersion(UInt8)
    case proof(FinalityProofError)
    case tamperedPayload(height: Height)
    case notACheckpoint(String)

    public var description: String {
        switch self {
        case .malformed(let why): "malformed certificate: \(why)"
        case .unsupportedVersion(let v): "certificate version \(v) is not supported (this build reads version \(CheckpointCertificate.version))"
        case .proof(let error): "\(error)"
        case .tamperedPayload(let height): "tampered block: the payload does not hash to the payload hash of the Baton block at height \(height)"
        case .notACheckpoint(let why): "not a checkpoint: \(why)"
        }
    }
}
