import BatonCrypto

/// The members who run consensus, their weights, and who leads each view.
///
/// Invariants (checked in `init`): at least one member with weight, keys
/// unique, at most `WireLimits.signersMax` members, total weight below 2^48
/// so every quorum computation fits in 64 bits.
public struct Committee: Sendable {
    public struct Member: Hashable, Sendable {
        public let publicKey: PublicKey
        public let weight: UInt64
        public init(publicKey: PublicKey, weight: UInt64) {
            self.publicKey = publicKey
            self.weight = weight
        }
    }

    public struct InvalidCommittee: Error, Sendable, CustomStringConvertible {
        public let description: String
    }

    public static let totalWeightMax: UInt64 = 1 << 48

    public let chainID: Bytes32
    /// Which committee of the chain this is: 0 is the genesis committee,
    /// each committee change (see `CommitteeChange`) makes the next.
    public let epoch: Epoch
    /// What every signature of this committee's epoch covers besides the
    /// message (see `SigningDomain`): the chain id in epoch 0 — so chains
    /// and data directories from before epochs existed verify unchanged —
    /// and a hash of (chain id, epoch) after. A vote, timeout or QC of one
    /// epoch therefore never verifies in another, even where the same key
    /// sits in both committees (EP-2 in docs/consensus.md).
    public let signingDomain: Bytes32
    public let members: [Member]
    public let totalWeight: UInt64
    /// Seed of the leader schedule, from genesis.
    public let leaderSeed: Bytes32
    private let cumulativeWeights: [UInt64]
    private let indexByKey: [PublicKey: ValidatorIndex]

    /// EP-5 (liveness only): in the first views of an epoch, leaders are
    /// drawn among the members that were in the committee before (a new
    /// member may still be recovering its safety data, SR-R, or connecting:
    /// as a leader it would cost a view timeout). Nil: every member leads.
    public struct NewcomerGrace: Sendable {
        /// The last view of the grace.
        public let throughView: View
        /// Incumbents, and their cumulative weights (for the weighted draw).
        let incumbents: [ValidatorIndex]
        let cumulative: [UInt64]
    }

    /// Views at the start of an epoch that newcomers do not lead: enough for
    /// a new member's SR-R at the switch (it refuses up to two views past the
    /// highest certified one it hears of, while the epoch's first views pass).
    public static let newcomerGraceViews: View = 6
    public private(set) var newcomerGrace: NewcomerGrace?

    public init(chainID: Bytes32, members: [Member], leaderSeed: Bytes32, epoch: Epoch = 0) throws(InvalidCommittee) {
        guard !members.isEmpty, members.count <= WireLimits.standard.signersMax else {
            throw InvalidCommittee(description: "a committee has 1...\(WireLimits.standard.signersMax) members, not \(members.count)")
        }
        var total: UInt64 = 0
        var cumulative: [UInt64] = []
        var byKey: [PublicKey: ValidatorIndex] = [:]
        for (index, member) in members.enumerated() {
            guard byKey.updateValue(ValidatorIndex(index), forKey: member.publicKey) == nil else {
                throw InvalidCommittee(description: "public key \(member.publicKey.hex) appears twice")
            }
            guard member.weight <= Self.totalWeightMax - total else {
                throw InvalidCommittee(description: "total weight must stay below 2^48")
            }
            total += member.weight
            cumulative.append(total)
        }
        guard total > 0 else { throw InvalidCommittee(description: "no member has any weight") }
        self.chainID = chainID
        self.epoch = epoch
        signingDomain = SigningDomain.epochDomain(chainID: chainID, epoch: epoch)
        self.members = members
        self.totalWeight = total
        self.leaderSeed = leaderSeed
        cumulativeWeights = cumulative
        indexByKey = byKey
    }

    public var count: Int { members.count }

    public func index(of key: PublicKey) -> ValidatorIndex? { indexByKey[key] }

    /// 0 for an index outside the committee: non-members carry no weight.
    public func weight(of index: ValidatorIndex) -> UInt64 {
        Int(index) < members.count ? members[Int(index)].weight : 0
    }

    /// Members with weight are the only ones whose messages count.
    public func isVoter(_ index: ValidatorIndex) -> Bool { weight(of: index) > 0 }

    public func publicKey(of index: ValidatorIndex) -> PublicKey? {
        Int(index) < members.count ? members[Int(index)].publicKey : nil
    }

    /// Quorum: strictly more than 2/3 of the total weight (integer arithmetic).
    public func isQuorum(_ weight: UInt64) -> Bool { weight * 3 > totalWeight * 2 }

    /// More than 1/3: at least one honest member is among them.
    public func exceedsFaultyWeight(_ weight: UInt64) -> Bool { weight * 3 > totalWeight }

    public func weight(of signers: SignerSet) -> UInt64 {
        signers.reduce(0) { $0 + weight(of: $1) }
    }

    /// The leader of `view` under DESIGN §2's schedule (the weighted-random
    /// draw, with the newcomer grace of EP-5): `LeaderElectionRule.weightedRandom`.
    /// A core asks its `ProposerElection`, which may weigh reputation too.
    public func leader(of view: View) -> ValidatorIndex {
        if let grace = newcomerGrace, view <= grace.throughView { return incumbentLeader(of: view, grace: grace) }
        return stakeLeader(of: view)
    }

    /// Weighted-random, from SHA-256(seed ‖ view), so every node computes the
    /// same leader with no messages. A member's chance is its weight over the
    /// total; zero-weight members never lead.
    public func stakeLeader(of view: View) -> ValidatorIndex {
        ValidatorIndex(Self.position(of: draw(view), in: cumulativeWeights))
    }

    /// EP-5: the draw among the incumbents only.
    func incumbentLeader(of view: View, grace: NewcomerGrace) -> ValidatorIndex {
        grace.incumbents[Self.position(of: draw(view), in: grace.cumulative)]
    }

    /// The view's random draw: the first 8 bytes of SHA-256(seed ‖ view).
    func draw(_ view: View) -> UInt64 {
        var w = WireWriter(capacity: 40)
        w.bytes32(leaderSeed)
        w.u64(view)
        return SHA256Digest.hash(w.bytes).bytes.prefix(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
    }

    /// The first index whose cumulative weight exceeds `draw % total`. Bias
    /// of the modulo is below total / 2^64 < 2^-16: negligible.
    static func position(of draw: UInt64, in cumulative: [UInt64]) -> Int {
        let target = draw % cumulative[cumulative.count - 1]
        var low = 0, high = cumulative.count - 1
        while low < high {
            let mid = (low + high) / 2
            if cumulative[mid] > target { high = mid } else { low = mid + 1 }
        }
        return low
    }

    /// This committee as it runs from `rootView + 1`, after `previous`: with
    /// the newcomer grace (EP-5) when it has both incumbents with weight and
    /// newcomers. Every node derives it from the same switch record.
    public func startingAfter(rootView: View, previous: Committee) -> Committee {
        var incumbents: [ValidatorIndex] = [], cumulative: [UInt64] = []
        var total: UInt64 = 0
        for (index, member) in members.enumerated() where member.weight > 0 && previous.index(of: member.publicKey) != nil {
            total += member.weight
            incumbents.append(ValidatorIndex(index))
            cumulative.append(total)
        }
        guard !incumbents.isEmpty, incumbents.count < members.filter({ $0.weight > 0 }).count else { return self }
        var graced = self
        graced.newcomerGrace = NewcomerGrace(throughView: rootView + Self.newcomerGraceViews, incumbents: incumbents,
                                             cumulative: cumulative)
        return graced
    }
}
