/// Who leads view v: the one question the core asks about leaders (the
/// seam; Aptos has the same in `ProposerElection`). Implementations:
/// `WeightedRandomElection` (the draw of DESIGN §2), `ReputationElection`
/// (LR-1 … LR-8 in docs/consensus.md), and `NewcomerGraceElection`, a decorator
/// for the first views of an epoch (EP-5).
///
/// Contract: `leader(of:)` is a pure function of the committee, the view and
/// the records learnt so far, so two honest nodes that learnt the same
/// records elect the same leader (LR-2). Safety never depends on it: a wrong
/// leader costs a view, never a fork.
public protocol ProposerElection: Sendable {
    func leader(of view: View) -> ValidatorIndex
    /// A finalized block's record, in chain order (LR-1). Elections that read
    /// no history ignore it.
    mutating func learn(_ record: LeaderRecord)
    /// What the election knows of each member now (status pages, metrics).
    var standings: [LeaderStanding] { get }
    /// The block whose history elects `view`, if the election reads history:
    /// two nodes with the same anchor must elect the same leader (the
    /// simulator checks exactly this).
    func anchor(of view: View) -> (height: Height, view: View)?
}

extension ProposerElection {
    public mutating func learn(_ record: LeaderRecord) {}
    public var standings: [LeaderStanding] { [] }
    public func anchor(of view: View) -> (height: Height, view: View)? { nil }
}

/// One member's standing in the reputation window (LR-3).
public struct LeaderStanding: Hashable, Sendable {
    public enum Kind: String, Hashable, Sendable {
        /// Proposed or voted in the window, and failed no more than the threshold.
        case active
        /// Failed more than the threshold of its leader slots in the window.
        case failing
        /// Neither proposed nor voted in the window (down, cut off, or new).
        case inactive
    }

    public let member: ValidatorIndex
    public let kind: Kind
    public let proposed: Int
    public let failed: Int
    public let voted: Int

    public init(member: ValidatorIndex, kind: Kind, proposed: Int, failed: Int, voted: Int) {
        self.member = member
        self.kind = kind
        self.proposed = proposed
        self.failed = failed
        self.voted = voted
    }
}

/// Which election a chain uses: part of its genesis (every node must use the
/// same), never of one node's configuration.
public enum LeaderElectionRule: Hashable, Sendable {
    /// DESIGN §2's weighted-random draw, every view alike.
    case weightedRandom
    /// The draw weighted by reputation from committed history (LR-1 … LR-8).
    case reputation(ReputationElection.Config)

    public static let standard = LeaderElectionRule.reputation(ReputationElection.Config())

    /// The names a genesis, `baton testnet` and `baton simulate` use.
    public static let names = ["reputation", "weighted-random"]

    /// The rule a name stands for (with the default reputation settings), or nil.
    public init?(name: String) {
        switch name {
        case "reputation": self = .standard
        case "weighted-random": self = .weightedRandom
        default: return nil
        }
    }

    public var name: String {
        switch self {
        case .weightedRandom: "weighted-random"
        case .reputation: "reputation"
        }
    }

    /// The election for `committee`'s epoch, with the newcomer grace (EP-5)
    /// when the committee carries one.
    public func election(for committee: Committee) -> any ProposerElection {
        switch self {
        case .weightedRandom:
            return NewcomerGraceElection.wrapping(WeightedRandomElection(committee: committee), committee: committee)
        case .reputation(let config):
            return NewcomerGraceElection.wrapping(ReputationElection(committee: committee, config: config), committee: committee)
        }
    }
}
