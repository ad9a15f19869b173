import BatonCrypto
import Consensus

extension Committee {
    /// U-2 / C-2, the counting both schedules share: `signer`'s approval
    /// counts once, at its weight in this committee (0 if it is none of it).
    /// Returns nil for a second approval by the same key (nothing changes),
    /// else whether the approvals now hold more than two thirds of the weight.
    func count(approvalBy signer: PublicKey, approvers: inout [PublicKey], weight: inout UInt64) -> Bool? {
        guard !approvers.contains(signer) else { return nil }
        approvers.append(signer)
        weight += index(of: signer).map { self.weight(of: $0) } ?? 0
        return isQuorum(weight)
    }
}
