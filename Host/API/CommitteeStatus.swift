/// `GET /v1/committee` and `baton committee status`: the committee in force,
/// the plans open to change it, and every change so far.
public struct CommitteeStatus: Codable, Sendable, Hashable, OpenPlanListing {
    public var chainID: String
    public var epoch: UInt64
    public var height: UInt64
    public var startedAfterHeight: UInt64
    public var totalWeight: UInt64
    public var members: [Member]
    public var thisNode: ThisNode
    public var open: [OpenPlanEntry<CommitteePlanDescription>]
    public var changes: [CommitteeChange]

    public init(chainID: String, epoch: UInt64, height: UInt64, startedAfterHeight: UInt64, totalWeight: UInt64,
                members: [Member], thisNode: ThisNode, open: [OpenPlanEntry<CommitteePlanDescription>],
                changes: [CommitteeChange]) {
        (self.chainID, self.epoch, self.height, self.startedAfterHeight) = (chainID, epoch, height, startedAfterHeight)
        (self.totalWeight, self.members, self.thisNode, self.open, self.changes) = (totalWeight, members, thisNode, open, changes)
    }

    public struct Member: Codable, Sendable, Hashable {
        public var index: Int
        public var publicKey: String
        public var weight: UInt64
        /// Its address in the genesis or its plan (nil: not known to this node).
        @Nullable public var address: String?

        public init(index: Int, publicKey: String, weight: UInt64, address: String?) {
            (self.index, self.publicKey, self.weight) = (index, publicKey, weight)
            self.address = address
        }
    }

    public struct ThisNode: Codable, Sendable, Hashable {
        public var publicKey: String
        /// Its index in the committee (nil: not a member).
        @Nullable public var member: Int?

        public init(publicKey: String, member: Int?) {
            self.publicKey = publicKey
            self.member = member
        }
    }
}

/// A committee-change plan, every field its id covers.
public struct CommitteePlanDescription: Codable, Sendable, Hashable, IdentifiedPlan {
    public var id: String
    public var chainID: String
    public var epoch: UInt64
    public var expiresAtHeight: UInt64
    public var members: [Member]

    public init(id: String, chainID: String, epoch: UInt64, expiresAtHeight: UInt64, members: [Member]) {
        (self.id, self.chainID, self.epoch, self.expiresAtHeight, self.members) = (id, chainID, epoch, expiresAtHeight, members)
    }

    public struct Member: Codable, Sendable, Hashable {
        public var publicKey: String
        public var weight: UInt64
        public var address: String

        public init(publicKey: String, weight: UInt64, address: String) {
            (self.publicKey, self.weight, self.address) = (publicKey, weight, address)
        }
    }
}

/// A committee change: the epoch it began, after which block, and the
/// committee's size and weight.
public struct CommitteeChange: Codable, Sendable, Hashable {
    public var epoch: UInt64
    public var afterHeight: UInt64
    public var afterBlock: String
    public var members: Int
    public var totalWeight: UInt64

    public init(epoch: UInt64, afterHeight: UInt64, afterBlock: String, members: Int, totalWeight: UInt64) {
        (self.epoch, self.afterHeight, self.afterBlock, self.members, self.totalWeight) = (epoch, afterHeight, afterBlock, members, totalWeight)
    }
}
