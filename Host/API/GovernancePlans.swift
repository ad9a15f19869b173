/// A governance plan as the API lists it (`open`, `decided`): the kind's own
/// description, flat, with the schedule's bookkeeping beside its fields.
///
/// One wrapper for every kind (`PlanKind`): a kind brings only its
/// `Description`; what the schedule adds — when it was proposed, who approved
/// it, the weight so far — is the same for all.
public struct OpenPlanEntry<Description: Codable & Sendable & Hashable>: Codable, Sendable, Hashable {
    public var plan: Description
    public var proposedAt: UInt64
    public var approvedWeight: UInt64
    public var approvers: [String]

    public init(plan: Description, proposedAt: UInt64, approvedWeight: UInt64, approvers: [String]) {
        (self.plan, self.proposedAt, self.approvedWeight, self.approvers) = (plan, proposedAt, approvedWeight, approvers)
    }

    enum Keys: String, CodingKey { case proposedAt, approvedWeight, approvers }

    public init(from decoder: any Decoder) throws {
        plan = try Description(from: decoder)
        let container = try decoder.container(keyedBy: Keys.self)
        proposedAt = try container.decode(UInt64.self, forKey: .proposedAt)
        approvedWeight = try container.decode(UInt64.self, forKey: .approvedWeight)
        approvers = try container.decode([String].self, forKey: .approvers)
    }

    public func encode(to encoder: any Encoder) throws {
        try plan.encode(to: encoder)
        var container = encoder.container(keyedBy: Keys.self)
        try container.encode(proposedAt, forKey: .proposedAt)
        try container.encode(approvedWeight, forKey: .approvedWeight)
        try container.encode(approvers, forKey: .approvers)
    }
}

/// A decided plan: its description, when it was decided, by whom, and
/// whether its height has come.
public struct DecidedPlanEntry<Description: Codable & Sendable & Hashable>: Codable, Sendable, Hashable {
    public var plan: Description
    public var decidedAt: UInt64
    public var approvers: [String]
    public var inEffect: Bool

    public init(plan: Description, decidedAt: UInt64, approvers: [String], inEffect: Bool) {
        (self.plan, self.decidedAt, self.approvers, self.inEffect) = (plan, decidedAt, approvers, inEffect)
    }

    enum Keys: String, CodingKey { case decidedAt, approvers, inEffect }

    public init(from decoder: any Decoder) throws {
        plan = try Description(from: decoder)
        let container = try decoder.container(keyedBy: Keys.self)
        decidedAt = try container.decode(UInt64.self, forKey: .decidedAt)
        approvers = try container.decode([String].self, forKey: .approvers)
        inEffect = try container.decode(Bool.self, forKey: .inEffect)
    }

    public func encode(to encoder: any Encoder) throws {
        try plan.encode(to: encoder)
        var container = encoder.container(keyedBy: Keys.self)
        try container.encode(decidedAt, forKey: .decidedAt)
        try container.encode(approvers, forKey: .approvers)
        try container.encode(inEffect, forKey: .inEffect)
    }
}

/// What every plan list (`GET /v1/upgrade`, `GET /v1/committee`) has: the open plans.
public protocol OpenPlanListing: Decodable {
    associatedtype Description: Codable & Sendable & Hashable & IdentifiedPlan
    var open: [OpenPlanEntry<Description>] { get }
}

/// A plan description's id (hex), by which clients find it in a listing.
public protocol IdentifiedPlan {
    var id: String { get }
}
