import BatonCrypto
import Consensus
import Governance
@testable import Node
import Simulation
import BatonTestSupport
import Testing

/// `Epochs` alone: which committee is in force after which switches, what a
/// peer's epoch notice asks, and whom the transport lets in.
@Suite struct EpochsTests {
    let net = SimulatedCommittee(n: 4, realCrypto: true, seed: 21, spares: 2)
    var addresses: [String] { (0..<4).map { "10.0.0.\($0):7100" } }

    /// The switch to a committee of members 0, 1, 2 and the spare 4, rooted at a block of height 9.
    func record() throws -> EpochRecord {
        let plan = CommitteeChangePlan(chainID: net.committee.chainID, epoch: 0, expiresAtHeight: 50,
                                       members: [0, 1, 2, 4].map { .init(publicKey: net.keys[$0].publicKey, weight: 1, address: "10.0.1.\($0):7100") })
        let next = try plan.committee(following: net.committee)
        let root = net.block(view: 9, height: 9, parent: net.genesis)
        let change = EpochChange(committee: next, root: root, above: [], qc: net.qc(view: 9, block: root.id))
        return EpochRecord(change: change, addresses: plan.members.map(\.address))
    }

    @Test func aSwitchPutsTheNextCommitteeInForceFromItsRootAndARestartAgrees() throws {
        var epochs = Epochs(genesis: net.genesis, committee: net.committee, addresses: addresses, listeners: [], records: [])
        #expect(epochs.committee.epoch == 0 && epochs.root.id == net.genesis.id && epochs.memberAddresses == addresses)
        let switched = try record()
        let previous = epochs.switchEpoch(to: switched)
        #expect(previous.epoch == 0 && previous.members.map(\.publicKey) == net.committee.members.map(\.publicKey))
        #expect(epochs.committee.epoch == 1 && epochs.root.height == 9 && epochs.memberAddresses == switched.addresses)
        #expect(epochs.notice == EpochNotice(epoch: 1, rootHeight: 9))
        // EP-3: built again from the stored records, the same epoch is in force.
        let restarted = Epochs(genesis: net.genesis, committee: net.committee, addresses: addresses, listeners: [], records: [switched])
        #expect(restarted.committee.epoch == 1 && restarted.root.id == epochs.root.id)
        #expect(restarted.committee.members.map(\.publicKey) == epochs.committee.members.map(\.publicKey))
    }

    @Test func aPeersNoticeAsksToCatchUpToTellOrNothing() throws {
        var epochs = Epochs(genesis: net.genesis, committee: net.committee, addresses: addresses, listeners: [], records: [])
        epochs.switchEpoch(to: try record())
        #expect(epochs.answer(EpochNotice(epoch: 2, rootHeight: 30)) == .catchUp)
        #expect(epochs.answer(EpochNotice(epoch: 0, rootHeight: 0)) == .tell)
        #expect(epochs.answer(EpochNotice(epoch: 1, rootHeight: 9)) == .nothing)
    }

    @Test func theTransportLetsInFormerMembersListenersAndAnOpenPlansNewcomers() throws {
        let listener = net.keys[5].publicKey
        var epochs = Epochs(genesis: net.genesis, committee: net.committee, addresses: addresses, listeners: [listener], records: [])
        epochs.switchEpoch(to: try record())  // member 3 leaves, the spare 4 joins
        let newcomerPlan = CommitteeChangePlan(chainID: net.committee.chainID, epoch: 1, expiresAtHeight: 80,
                                               members: [0, 1, 2, 4, 5].map { .init(publicKey: net.keys[$0].publicKey, weight: 1, address: "h:1") })
        let membership = epochs.membership(openPlans: [newcomerPlan], me: net.keys[4].publicKey)
        #expect(membership.members.map(\.key) == [0, 1, 2, 4].map { net.keys[$0].publicKey })
        #expect(membership.members.map(\.host) == ["10.0.1.0", "10.0.1.1", "10.0.1.2", "10.0.1.4"])
        #expect(Set(membership.listeners) == [net.keys[3].publicKey, listener], "the member who left, and the genesis's listener")
        #expect(membership.isMember)
        #expect(!epochs.membership(openPlans: [], me: net.keys[3].publicKey).isMember)
    }
}
