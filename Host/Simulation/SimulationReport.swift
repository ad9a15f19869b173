/// The outcome of one seeded run.
public struct SimulationReport: Sendable {
    public let seed: UInt64
    public let scenario: String
    public let nodes: Int
    public let byzantine: Int
    /// The highest view any honest node reached.
    public let views: UInt64
    /// Blocks every honest node agreed on (distinct finalized heights).
    public let blocksFinalized: Int
    public let events: Int
    public let simulatedMs: UInt64
    /// SHA-256 chained over every delivered event: equal seeds give equal hashes.
    public let traceHash: String
    /// Invariant violations (empty for a correct run).
    public let violations: [String]
    /// Of `violations`: liveness (no progress within the bound after GST).
    public let livenessViolations: Int  // "liveness" and "liveness rate"
    /// Of `violations`: everything else — agreement, chain, double votes,
    /// memory bounds, safety faults, halts.
    public var safetyViolations: Int { violations.count - livenessViolations }
    /// The last events before the first violation.
    public let trace: [String]
    /// Crashes of honest nodes (each followed by a restart from durable state).
    public let crashes: Int
    /// Misbehavior proofs the honest nodes produced (double votes, double proposals).
    public let evidence: Int
    /// Messages honest nodes refused as invalid.
    public let invalidDropped: Int
    /// Byzantine nodes with a divergent app that stopped themselves (AA-3).
    public let divergenceHalts: Int
    /// Proposals honest nodes refused for a wrong executed state hash (AA-1).
    public let appDisagreements: Int
    /// Committee switches, counted per node (EP-1), and the newest epoch an
    /// honest node reached.
    public var epochSwitches = 0
    public var epochReached: UInt64 = 0
    /// LR-7: the share of views (per mille) after the fault's detection
    /// window that finalized a block of their own, in scenarios with a bound.
    public var finalizingPermille: Int?

    public var passed: Bool { violations.isEmpty }
}
