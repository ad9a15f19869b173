import BatonCrypto
import Consensus
import Governance

/// The node's committee state at one moment, read off the actor in one hop
/// (`GET /v1/committee` shows it): the committee in force and its members'
/// addresses, every change so far, the plans open, the height, this node's key.
public struct CommitteeSnapshot: Sendable {
    public let committee: Committee
    public let addresses: [String]
    public let records: [EpochRecord]
    public let schedule: CommitteeSchedule
    public let height: Height
    public let node: PublicKey
}
