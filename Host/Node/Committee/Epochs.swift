import BatonConfig
import BatonCrypto
import Consensus
import Governance

/// The node's epochs as a value it owns: the genesis committee and every
/// switch since (EP-1 … EP-4, docs/consensus.md), which committee is in force
/// and from which block, where its members listen, and whom the transport
/// lets in. The node's actor keeps what acts — restarting the core, telling
/// peers, logging; this value decides and is tested alone (`EpochsTests`).
///
/// Invariant: `committee` is `EpochChange.committeeInForce` after `records`
/// from the genesis committee, and `root` the last record's root (the genesis
/// before any): EP-3, the same after a restart as before it.
struct Epochs: Sendable {
    let genesis: Block
    let genesisCommittee: Committee
    /// Where the genesis members listen, in their order.
    let genesisAddresses: [String]
    /// Followers the genesis lets in.
    let genesisListeners: [PublicKey]
    /// How each epoch after the first began, oldest first (one per change).
    private(set) var records: [EpochRecord]
    private(set) var committee: Committee
    /// The block the current epoch started from (the genesis in epoch 0).
    private(set) var root: Block

    init(genesis: Block, committee: Committee, addresses: [String], listeners: [PublicKey], records: [EpochRecord]) {
        self.genesis = genesis
        genesisCommittee = committee
        genesisAddresses = addresses
        genesisListeners = listeners
        self.records = records
        self.committee = EpochChange.committeeInForce(after: records.map(\.change), genesis: committee)
        root = records.last?.change.root ?? genesis
    }

    /// Where each member of the committee in force listens, in its order.
    var memberAddresses: [String] { records.last?.addresses ?? genesisAddresses }

    var notice: EpochNotice { EpochNotice(epoch: committee.epoch, rootHeight: root.height) }

    /// EP-1, EP-3: the block that ended the epoch is committed; from here the
    /// new committee is in force, from that block. Returns the one before.
    @discardableResult
    mutating func switchEpoch(to record: EpochRecord) -> Committee {
        let previous = committee
        records.append(record)
        committee = record.change.committeeInForce(previous: previous)
        root = record.change.root
        return previous
    }

    /// What a peer's epoch notice asks of this node (EP-4).
    enum NoticeAnswer: Equatable {
        /// The peer is in a later epoch: our chain ended elsewhere; catch up.
        case catchUp
        /// The peer is behind: tell it ours.
        case tell
        case nothing
    }

    func answer(_ notice: EpochNotice) -> NoticeAnswer {
        if notice.epoch > committee.epoch { return .catchUp }
        if notice.epoch < committee.epoch { return .tell }
        return .nothing
    }

    /// Whom the transport dials and lets in: the committee in force at its
    /// members' addresses; as followers, the genesis's listeners, members of
    /// earlier epochs no longer in it, and the members `openPlans` would add
    /// (they follow the chain before the switch, so they vote from its first block).
    func membership(openPlans: [CommitteeChangePlan], me: PublicKey)
        -> (members: [(key: PublicKey, host: String, port: Int)], listeners: [PublicKey], isMember: Bool) {
        let members = zip(committee.members, memberAddresses).compactMap { member, address in
            Genesis.split(address).map { (key: member.publicKey, host: $0.0, port: $0.1) }
        }
        var listeners = Set(genesisListeners)
        for earlier in [genesisCommittee] + records.map(\.committee) {
            for member in earlier.members where committee.index(of: member.publicKey) == nil { listeners.insert(member.publicKey) }
        }
        for plan in openPlans {
            for member in plan.members where committee.index(of: member.publicKey) == nil { listeners.insert(member.publicKey) }
        }
        let isMember = committee.index(of: me).map { committee.isVoter($0) } ?? false
        return (members, listeners.sorted { $0.compressed.lexicographicallyPrecedes($1.compressed) }, isMember)
    }
}
