import ArgumentParser
import BatonAPI
import BatonConsole
import BatonCrypto
import Consensus
import Foundation
import Node
import Governance

/// `baton committee`: committee changes decided by the operators. Plans and
/// approvals are signed here, with the member's key file, and only relayed by
/// the node (`POST /v1/tx`), as for upgrades: a node's API never signs.
struct CommitteeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "committee",
        abstract: "Propose, approve and follow committee changes (add, remove, reweight, rotate a key).",
        discussion: """
            A plan names the whole committee that follows the one in force (this epoch's). It takes effect \
            when members holding more than two thirds of the current weight approved it in blocks before \
            its deadline: the block with the deciding approval is the last of the epoch, and the new \
            committee signs every block after it. A new member should already follow the chain (a \
            genesis listener, or a node started with its key), so it votes from the switch on.
            """,
        subcommands: [Propose.self, ApprovePlan<Self>.self, PlanStatus<Self>.self])

    struct Propose: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Sign and submit a plan (it counts as your approval).")
        @OptionGroup var node: NodeAPI
        @Option(help: "Your member key file (key.json).") var key: String
        @Option(help: "A member to add: PUBLICKEY@HOST:PORT or PUBLICKEY@HOST:PORT=WEIGHT (weight 1 by default).")
        var add: [String] = []
        @Option(help: "A member to remove: its public key (hex).") var remove: [String] = []
        @Option(help: "A new weight: PUBLICKEY=WEIGHT.") var reweight: [String] = []
        @Option(help: "A key rotation: OLDKEY=NEWKEY[@HOST:PORT]; the member keeps its place and weight.") var rotate: [String] = []
        @Option(help: "The last height an approval counts (default: the chain's height + 200).") var expiresAt: UInt64?

        func run() async throws {
            let signer = try loadSigner(key)
            guard let status = await fetch(CommitteeStatus.self, "http://\(node.api)/v1/committee"),
                  let chain = Hex.decode(status.chainID).flatMap(Bytes32.init) else {
                fail("no committee from http://\(node.api)/v1/committee: is a node's API there?")
            }
            let (epoch, height) = (status.epoch, status.height)
            var members: [CommitteeChangePlan.Member] = status.members.map { entry in
                guard let key = publicKey(entry.publicKey) else { fail("the node's description of its committee is malformed") }
                return CommitteeChangePlan.Member(publicKey: key, weight: entry.weight, address: entry.address ?? "")
            }
            for text in remove {
                guard let key = publicKey(text), let index = members.firstIndex(where: { $0.publicKey == key }) else {
                    fail("--remove \(text): not a member of epoch \(epoch)")
                }
                members.remove(at: index)
            }
            for text in reweight {
                let parts = text.split(separator: "=", maxSplits: 1).map(String.init)
                guard parts.count == 2, let key = publicKey(parts[0]), let weight = UInt64(parts[1]),
                      let index = members.firstIndex(where: { $0.publicKey == key }) else {
                    fail("--reweight \(text): expected MEMBERKEY=WEIGHT for a member of epoch \(epoch)")
                }
                members[index] = CommitteeChangePlan.Member(publicKey: key, weight: weight, address: members[index].address)
            }
            for text in rotate {
                let parts = text.split(separator: "=", maxSplits: 1).map(String.init)
                let target = parts.count == 2 ? parts[1].split(separator: "@", maxSplits: 1).map(String.init) : []
                guard parts.count == 2, let old = publicKey(parts[0]), let new = target.first.flatMap(publicKey),
                      let index = members.firstIndex(where: { $0.publicKey == old }) else {
                    fail("--rotate \(text): expected OLDKEY=NEWKEY[@HOST:PORT] for a member of epoch \(epoch)")
                }
                members[index] = CommitteeChangePlan.Member(publicKey: new, weight: members[index].weight,
                                                            address: target.count == 2 ? target[1] : members[index].address)
            }
            for text in add {
                let parts = text.split(separator: "@", maxSplits: 1).map(String.init)
                let place = parts.count == 2 ? parts[1].split(separator: "=", maxSplits: 1).map(String.init) : []
                guard parts.count == 2, let key = publicKey(parts[0]), let address = place.first,
                      let weight = place.count == 2 ? UInt64(place[1]) : 1 else {
                    fail("--add \(text): expected PUBLICKEY@HOST:PORT or PUBLICKEY@HOST:PORT=WEIGHT")
                }
                members.append(CommitteeChangePlan.Member(publicKey: key, weight: weight, address: address))
            }
            guard !add.isEmpty || !remove.isEmpty || !reweight.isEmpty || !rotate.isEmpty else {
                fail("nothing to change: give --add, --remove, --reweight or --rotate")
            }
            let plan = CommitteeChangePlan(chainID: chain, epoch: epoch, expiresAtHeight: expiresAt ?? height + 200, members: members)
            let current = try? Committee(chainID: chain, members: status.members.compactMap { entry in
                publicKey(entry.publicKey).map { Committee.Member(publicKey: $0, weight: entry.weight) }
            }, leaderSeed: .zero, epoch: epoch)
            if let current, let problem = plan.problem(chainID: chain, committee: current) { fail("plan refused: \(problem)") }
            try await CommitteeCommand.propose(plan, signer: signer, api: node.api)
        }
    }
}

extension CommitteeCommand: PlanCommandKind {
    static let kind = PlanKind.committee
    static let route = "/v1/committee"
    typealias Listing = CommitteeStatus

    static func plan(describedBy description: CommitteePlanDescription) -> CommitteeChangePlan? {
        guard let chain = Hex.decode(description.chainID).flatMap(Bytes32.init) else { return nil }
        var members: [CommitteeChangePlan.Member] = []
        for member in description.members {
            guard let key = publicKey(member.publicKey) else { return nil }
            members.append(CommitteeChangePlan.Member(publicKey: key, weight: member.weight, address: member.address))
        }
        return CommitteeChangePlan(chainID: chain, epoch: description.epoch, expiresAtHeight: description.expiresAtHeight,
                                   members: members)
    }

    static func proposal(_ plan: CommitteeChangePlan) -> GovernancePlan { .committee(plan) }
}

private func publicKey(_ hex: String) -> PublicKey? { Hex.decode(hex).flatMap(PublicKey.init(compressed:)) }
