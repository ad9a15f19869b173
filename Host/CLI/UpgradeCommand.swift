import ArgumentParser
import BatonAPI
import BatonConsole
import BatonCrypto
import Consensus
import Foundation
import Node
import PluginHost
import Governance

/// `baton upgrade`: live application upgrades decided by the chain. Plans and
/// approvals are signed here, with the member's key file, and only relayed by
/// the node (`POST /v1/tx`): a node's API never signs for a member.
struct UpgradeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "upgrade",
        abstract: "Propose, approve and follow live application upgrades.",
        discussion: """
            A plan says: from height H the application is plugin P (name, version, SHA-256 of the .so). \
            It takes effect when members holding more than two thirds of the weight approved it in blocks \
            before its deadline, which must be at least \(UpgradeSchedule.leadBlocksMin) blocks before H.
            """,
        subcommands: [Propose.self, ApprovePlan<Self>.self, PlanStatus<Self>.self])

    struct Propose: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Sign and submit a plan (it counts as your approval).")
        @OptionGroup var node: NodeAPI
        @Option(help: "Your member key file (key.json).") var key: String
        @Option(help: "The new application's plugin (a name looked up in --plugin-dir, or a path): its version and SHA-256 go into the plan.")
        var plugin: String
        @Option(name: .customLong("plugin-dir"), help: "Folder of plugin .so files.") var pluginDirectory: String?
        @Option(help: "The first height the new application runs.") var at: UInt64
        @Option(help: "The last height an approval counts (default: --at minus \(UpgradeSchedule.leadBlocksMin)).") var expiresAt: UInt64?

        func run() async throws {
            let signer = try loadSigner(key)
            let library: PluginLibrary
            do { library = try PluginLocator.standard(pluginDirectory: pluginDirectory).load(plugin) } catch {
                fail("\(error)")
            }
            let chain = await requireChainID(api: node.api)
            guard let plan = UpgradePlan(running: library, chainID: chain, fromHeight: at, expiresAtHeight: expiresAt) else {
                fail("cannot read \(library.path)")
            }
            if let problem = plan.problem(chainID: chain) { fail("plan refused: \(problem)") }
            try await UpgradeCommand.propose(plan, signer: signer, api: node.api)
        }
    }
}

extension UpgradeCommand: PlanCommandKind {
    static let kind = PlanKind.upgrade
    static let route = "/v1/upgrade"
    typealias Listing = UpgradeStatus

    static func plan(describedBy description: UpgradePlanDescription) -> UpgradePlan? {
        guard let chain = Hex.decode(description.chainID).flatMap(Bytes32.init),
              let digest = Hex.decode(description.sha256).flatMap(Bytes32.init) else { return nil }
        return UpgradePlan(chainID: chain, fromHeight: description.fromHeight, expiresAtHeight: description.expiresAtHeight,
                           plugin: description.plugin, pluginVersion: description.version, sha256: digest)
    }

    static func proposal(_ plan: UpgradePlan) -> GovernancePlan { .upgrade(plan) }
}
