import BatonCrypto
import Consensus

/// A member's signature on a plan of any kind, made where its key is (`baton
/// upgrade approve` and `baton committee approve` read the key file; a node
/// only relays it), so reaching a node's API grants no vote. The signed digest
/// names the chain and the plan, so an approval for another chain or another
/// plan verifies nowhere else; plan ids are tagged per kind, so one approval
/// type serves every kind.
public struct Approval: Hashable, Sendable {
    public let planID: Bytes32
    public let signer: PublicKey
    public let signature: Signature

    public init(planID: Bytes32, signer: PublicKey, signature: Signature) {
        self.planID = planID
        self.signer = signer
        self.signature = signature
    }

    /// SHA-256("baton/upgrade-approval/v1" ‖ chain id ‖ plan id). The tag
    /// predates committee plans and stays: approvals already signed verify.
    public static func digest(chainID: Bytes32, planID: Bytes32) -> Bytes32 {
        var writer = WireWriter(capacity: 96)
        writer.raw(Array("baton/upgrade-approval/v1".utf8))
        writer.bytes32(chainID)
        writer.bytes32(planID)
        return SHA256Digest.hash(writer.bytes)
    }

    /// Signs `plan` with `signer` (a member's node key).
    public static func sign(_ plan: some GovernedPlan, with signer: some MessageSigner) -> Approval {
        sign(planID: plan.id, chainID: plan.chainID, with: signer)
    }

    static func sign(planID: Bytes32, chainID: Bytes32, with signer: some MessageSigner) -> Approval {
        Approval(planID: planID, signer: signer.publicKey, signature: signer.sign(digest(chainID: chainID, planID: planID)))
    }

    /// Whether the signature is `signer`'s over this plan on `chainID`.
    public func verifies(chainID: Bytes32, verifier: some SignatureVerifier) -> Bool {
        verifier.verify(signature, digest: Self.digest(chainID: chainID, planID: planID), publicKey: signer)
    }
}

extension Approval: WireCodable {
    public func encode(to writer: inout WireWriter) {
        writer.bytes32(planID)
        writer.raw(signer.compressed)
        writer.signature(signature)
    }

    public init(from reader: inout WireReader) throws(WireDecodingError) {
        planID = try reader.bytes32("approval.planID")
        guard let key = PublicKey(compressed: try reader.raw(PublicKey.byteCount, "approval.signer")) else {
            throw WireDecodingError(.invalidValue, field: "approval.signer", detail: "not a secp256k1 public key")
        }
        signer = key
        signature = try reader.signature("approval.signature")
    }
}
