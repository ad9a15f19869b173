import BatonCrypto
import Consensus

/// One kind's committed schedule (`UpgradeSchedule`, `CommitteeSchedule`):
/// what a node loads, stores, asks at admission and applies at commit — the
/// same calls for every kind (`GovernanceBook`). A kind's own rules stay in
/// its type; what its decisions do on a node is the node's.
public protocol PlanSchedule: WireCodable, Hashable {
    static var kind: PlanKind { get }
    init()
    /// Applies the kind's transactions of the block at `height`, in order;
    /// `committee` is the one in force (the block's epoch).
    mutating func outcomes(of transactions: [HostTransaction], at height: Height, committee: Committee,
                           verifier: any SignatureVerifier) -> [GovernanceOutcome]
    /// Why `transaction` would change nothing if committed now (a mempool
    /// check, so clients hear of a replay or a late approval at once), or nil.
    func admissionProblem(_ transaction: HostTransaction, height: Height) -> String?
}

/// What a host transaction did at commit, for any kind.
public enum GovernanceOutcome: Hashable, Sendable {
    case proposed(PlanKind, Bytes32)
    case approved(PlanKind, Bytes32, by: PublicKey)
    /// A quorum: the plan is decided at the block's height; `approvers` gave it.
    case decided(GovernancePlan, approvers: [PublicKey])
    case ignored(PlanKind, String)
}

extension UpgradeSchedule: PlanSchedule {
    public static var kind: PlanKind { .upgrade }

    public mutating func outcomes(of transactions: [HostTransaction], at height: Height, committee: Committee,
                                  verifier: any SignatureVerifier) -> [GovernanceOutcome] {
        apply(transactions, at: height, committee: committee, verifier: verifier).map { outcome in
            switch outcome {
            case .proposed(let id): .proposed(.upgrade, id)
            case .approved(let id, let signer): .approved(.upgrade, id, by: signer)
            case .decided(let decision): .decided(.upgrade(decision.plan), approvers: decision.approvers)
            case .ignored(let why): .ignored(.upgrade, why)
            }
        }
    }
}

extension CommitteeSchedule: PlanSchedule {
    public static var kind: PlanKind { .committee }

    public mutating func outcomes(of transactions: [HostTransaction], at height: Height, committee: Committee,
                                  verifier: any SignatureVerifier) -> [GovernanceOutcome] {
        apply(transactions, at: height, committee: committee, verifier: verifier).map { outcome in
            switch outcome {
            case .proposed(let id): .proposed(.committee, id)
            case .approved(let id, let signer): .approved(.committee, id, by: signer)
            case .decided(let plan, let approvers): .decided(.committee(plan), approvers: approvers)
            case .ignored(let why): .ignored(.committee, why)
            }
        }
    }
}
