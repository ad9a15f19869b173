import BatonCrypto
import Consensus
import Governance
import Simulation
import Testing

/// `GovernanceBook`: every kind through one value — each transaction reaches
/// its kind's schedule, only changed kinds are stored, what is stored loads
/// back, and a damaged schedule is named by kind.
@Suite struct GovernanceBookTests {
    let net = SimulatedCommittee(n: 4, realCrypto: true, seed: 12)
    let verifier = Secp256k1Verifier()

    var upgrade: UpgradePlan {
        UpgradePlan(chainID: net.committee.chainID, fromHeight: 60, expiresAtHeight: 40, plugin: "robot", pluginVersion: "2.0.0",
                    sha256: SHA256Digest.hash([1]))
    }
    var committeePlan: CommitteeChangePlan {
        CommitteeChangePlan(chainID: net.committee.chainID, epoch: 0, expiresAtHeight: 50,
                            members: (0..<3).map { .init(publicKey: net.keys[$0].publicKey, weight: 1, address: "10.0.0.\($0):7100") })
    }

    @Test func eachKindsTransactionsReachItsScheduleAndOnlyChangedKindsAreStored() throws {
        var book = GovernanceBook()
        let proposeUpgrade = HostTransaction.propose(.upgrade(upgrade), Approval.sign(upgrade, with: net.signer(0)))
        let (outcomes, changed) = book.apply([proposeUpgrade], at: 5, committee: net.committee, verifier: verifier)
        #expect(outcomes == [.proposed(.upgrade, upgrade.id)] && changed == [.upgrade])
        #expect(book.schedule(UpgradeSchedule.self).open[upgrade.id] != nil && book.schedule(CommitteeSchedule.self).open.isEmpty)

        // Both kinds in one block: a committee plan decided by three approvals, an upgrade approved.
        let committee = committeePlan
        let block = [HostTransaction.propose(.committee(committee), Approval.sign(committee, with: net.signer(1)))]
            + [2, 3].map { HostTransaction.approve(.committee, Approval.sign(committee, with: net.signer($0))) }
            + [HostTransaction.approve(.upgrade, Approval.sign(upgrade, with: net.signer(1)))]
        let second = book.apply(block, at: 6, committee: net.committee, verifier: verifier)
        #expect(Set(second.changed) == [.upgrade, .committee])
        #expect(second.outcomes.contains(.approved(.upgrade, upgrade.id, by: net.keys[1].publicKey)))
        #expect(second.outcomes.contains(.decided(.committee(committee), approvers: [1, 2, 3].map { net.keys[$0].publicKey })))

        // Stored by kind, loaded back the same; admission asks the kind's schedule.
        let stored = Dictionary(uniqueKeysWithValues: PlanKind.allCases.map { ($0.storageName, book.encoded($0)) })
        let loaded = try GovernanceBook { stored[$0.storageName] }
        #expect(loaded.schedule(UpgradeSchedule.self) == book.schedule(UpgradeSchedule.self))
        #expect(loaded.schedule(CommitteeSchedule.self) == book.schedule(CommitteeSchedule.self))
        #expect(loaded.admissionProblem(proposeUpgrade, height: 7)?.contains("proposed already") == true)
    }

    @Test func aDamagedScheduleIsNamedByItsKind() {
        #expect { try GovernanceBook { $0 == .committee ? [0xFF, 0x01] : nil } } throws: { error in
            guard let unreadable = error as? GovernanceBook.Unreadable else { return false }
            return unreadable.kind == .committee && "\(unreadable)".contains("m/committee")
        }
    }
}
