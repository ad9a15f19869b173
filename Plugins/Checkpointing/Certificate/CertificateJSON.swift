import BatonCrypto
import Consensus

extension CheckpointCertificate {
    /// A readable rendering (JSON object, keys in a fixed order) for people and
    /// tools; the binary encoding stays the canonical one.
    public var json: String {
        let checkpoint = (try? Checkpoint.decode(payload: payload)) ?? nil
        let headers = proof.headers.map { "{\"height\":\($0.height),\"view\":\($0.view),\"id\":\"\($0.id.hex)\",\"parentID\":\"\($0.parentID.hex)\",\"qcView\":\($0.qc.view)}" }
        let signers = proof.qc.signers.map { String($0) }.joined(separator: ",")
        return """
        {"version":\(Self.version),"bytes":\(encoded.count),\
        "checkpoint":\(checkpoint.map { "{\"height\":\($0.height),\"hash\":\"\($0.hash.hex)\"}" } ?? "null"),\
        "chainID":"\(proof.chainID.hex)",\
        "headers":[\(headers.joined(separator: ","))],\
        "qc":{"view":\(proof.qc.view),"blockID":"\(proof.qc.blockID.hex)","signers":[\(signers)]}}
        """
    }
}
