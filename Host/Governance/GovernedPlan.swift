import BatonCrypto
import Consensus

/// A plan the chain decides by its members' approvals (docs/governance.md, "Live
/// upgrades" and "Committee changes"). What every kind shares — an id, the
/// chain it is for, a deadline for approvals — is here; what differs between
/// kinds is its `Rules`, and what a decision does is its schedule's.
public protocol GovernedPlan: Hashable, Sendable, WireCodable {
    /// The kind's rules for its open plans.
    static var rules: GovernanceRules { get }
    /// SHA-256 of its encoding (tagged apart per kind, so one kind's plan id
    /// is never another's).
    var id: Bytes32 { get }
    var chainID: Bytes32 { get }
    /// U-2 / C-2: no approval counts in a block above this height.
    var expiresAtHeight: Height { get }
}

/// What one kind of plan may keep open, and how its refusals read.
public struct GovernanceRules: Sendable {
    /// Open (proposed, undecided, unexpired) plans kept at once: a bound on
    /// the state every node keeps for it.
    public let openPlansMax: Int
    /// How a refusal names the kind's open plans ("plans", "committee plans").
    public let pluralNoun: String
    /// How an approval of a plan that is not open is refused.
    public let notOpen: @Sendable (Bytes32) -> String
}
