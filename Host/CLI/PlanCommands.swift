import ArgumentParser
import BatonAPI
import BatonCrypto
import Foundation
import Governance

/// The CLI's side of a kind of plan (`PlanKind`): where the node lists its
/// plans, and how a plan is rebuilt from the node's description so that what
/// a member signs is exactly what it was shown. `baton upgrade` and `baton
/// committee` each propose in their own words; approving and following a plan
/// are the same commands for every kind (`ApprovePlan`, `PlanStatus`).
protocol PlanCommandKind {
    associatedtype Plan: GovernedPlan & CustomStringConvertible
    /// What the node answers at `route` (`BatonAPI`).
    associatedtype Listing: OpenPlanListing
    static var kind: PlanKind { get }
    /// The node's route listing the kind's plans (`open`: the open ones).
    static var route: String { get }
    /// The plan a description of the node's describes, or nil if a field is malformed.
    static func plan(describedBy description: Listing.Description) -> Plan?
    /// `plan` as a host transaction proposes it.
    static func proposal(_ plan: Plan) -> GovernancePlan
}

extension PlanCommandKind {
    /// `baton <kind> propose`, once the kind's command built `plan`: signs it
    /// (a proposal counts as its proposer's approval), relays it, prints its id.
    static func propose(_ plan: Plan, signer: Secp256k1Signer, api: String) async throws {
        try await submit(.propose(proposal(plan), Approval.sign(plan, with: signer)), api: api)
        print("proposed \(plan)")
        print("plan id \(plan.id.hex)")
    }
}

/// A node's HTTP API, the one option every plan command takes.
struct NodeAPI: ParsableArguments {
    @Option(help: "A node's HTTP API, HOST:PORT (it relays; it never signs).") var api: String
}

/// `baton <kind> approve`: rebuilds the open plan from the node's description,
/// checks its id and chain, signs it with the member's key file, and relays it.
struct ApprovePlan<Kind: PlanCommandKind>: AsyncParsableCommand {
    static var configuration: CommandConfiguration {
        CommandConfiguration(commandName: "approve", abstract: "Sign and submit your approval of an open plan.")
    }
    @OptionGroup var node: NodeAPI
    @Option(help: "Your member key file (key.json).") var key: String
    @Option(help: "The plan's id (hex; the status command lists them).") var plan: String

    func run() async throws {
        let signer = try loadSigner(key)
        let description = await openPlan(plan, route: Kind.route, api: node.api, in: Kind.Listing.self)
        // Rebuilt from its fields and checked against its id: what is signed
        // is exactly what is shown, whatever the node says.
        guard let rebuilt = Kind.plan(describedBy: description) else { fail("the node's description of plan \(plan) is malformed") }
        guard rebuilt.id.hex == plan.lowercased() else { fail("the node describes a plan whose id is not \(plan): not signing") }
        guard rebuilt.chainID == (await requireChainID(api: node.api)) else { fail("the plan is for another chain: not signing") }
        try await submit(.approve(Kind.kind, Approval.sign(rebuilt, with: signer)), api: node.api)
        print("approved \(rebuilt)")
    }
}

/// `baton <kind> status`: what the node says of the kind's plans.
struct PlanStatus<Kind: PlanCommandKind>: AsyncParsableCommand {
    static var configuration: CommandConfiguration {
        CommandConfiguration(commandName: "status", abstract: "What is in force, the open plans and every decision.")
    }
    @OptionGroup var node: NodeAPI

    func run() async throws {
        await printAnswer(route: Kind.route, api: node.api)
    }
}
