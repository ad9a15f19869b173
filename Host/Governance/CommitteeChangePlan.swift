import BatonCrypto
import Consensus

/// "When this plan is decided, the committee of epoch `epoch` is replaced
/// by `members`": the operators' way to change the committee (add, remove,
/// reweight, rotate a key), proposed and approved in blocks like an upgrade
/// plan (`CommitteeSchedule` has the rules, C-1 … C-3). The new list is
/// whole, so a plan says exactly which committee follows, and it names the
/// epoch it ends, so it can never be replayed in a later one.
///
/// Invariant of a plan that passes `problem(chainID:committee:)`: its
/// members form a valid committee (`Committee.following`), every one with an
/// address to dial.
public struct CommitteeChangePlan: Hashable, Sendable, CustomStringConvertible {
    public struct Member: Hashable, Sendable {
        public let publicKey: PublicKey
        public let weight: UInt64
        /// host:port of its consensus listener: peers dial it from the switch.
        public let address: String

        public init(publicKey: PublicKey, weight: UInt64, address: String) {
            self.publicKey = publicKey
            self.weight = weight
            self.address = address
        }
    }

    static let tag = Array("baton/committee-plan/v1".utf8)
    /// Bytes of one member's address, and members in one plan.
    public static let addressBytesMax = 255
    public static let membersMax = 64

    public let chainID: Bytes32
    /// The epoch this plan ends (the committee it replaces).
    public let epoch: Epoch
    /// Approvals in blocks above this height do not count; the plan lapses.
    public let expiresAtHeight: Height
    public let members: [Member]

    public init(chainID: Bytes32, epoch: Epoch, expiresAtHeight: Height, members: [Member]) {
        self.chainID = chainID
        self.epoch = epoch
        self.expiresAtHeight = expiresAtHeight
        self.members = members
    }

    /// SHA-256 of the canonical encoding, which begins with its own tag: no
    /// upgrade plan has the same id, so an approval is for one plan only.
    public var id: Bytes32 { SHA256Digest.hash(encoded) }

    public var description: String {
        "committee plan \(id.short): epoch \(epoch) → \(epoch + 1), \(members.count) members, approvals until height \(expiresAtHeight)"
    }

    /// The committee that follows `current` under this plan.
    public func committee(following current: Committee) throws(Committee.InvalidCommittee) -> Committee {
        try current.following(members: members.map { Committee.Member(publicKey: $0.publicKey, weight: $0.weight) })
    }

    /// Why this plan can never take effect on `chainID` while `committee`
    /// is in force, or nil.
    public func problem(chainID: Bytes32, committee: Committee) -> String? {
        guard self.chainID == chainID else { return "it is for chain \(self.chainID.short), not this chain (\(chainID.short))" }
        guard epoch == committee.epoch else {
            return "it replaces the committee of epoch \(epoch); the chain is in epoch \(committee.epoch)"
        }
        guard !members.isEmpty, members.count <= Self.membersMax else { return "a committee has 1-\(Self.membersMax) members" }
        for member in members {
            guard Self.hasHostAndPort(member.address), member.address.utf8.count <= Self.addressBytesMax else {
                return "member \(member.publicKey.hex.prefix(12))…: address '\(member.address)' is not host:port"
            }
        }
        do { _ = try self.committee(following: committee) } catch { return "\(error)" }
        return nil
    }

    /// Something before the last colon and a port 1-65535 after it. Every
    /// node decides a plan's validity at commit, so this rule must never
    /// change (a stricter one in a newer build would split mixed-version
    /// committees): the address is parsed fully (`PeerAddress`) only when it
    /// is dialled, and one that does not parse is not dialled.
    static func hasHostAndPort(_ address: String) -> Bool {
        guard let colon = address.lastIndex(of: ":"), colon != address.startIndex,
              let port = Int(address[address.index(after: colon)...]) else { return false }
        return (1...65_535).contains(port)
    }
}

extension CommitteeChangePlan: WireCodable {
    public func encode(to writer: inout WireWriter) {
        writer.raw(Self.tag)
        writer.bytes32(chainID)
        writer.u64(epoch)
        writer.u64(expiresAtHeight)
        writer.u16(UInt16(members.count))
        for member in members {
            writer.raw(member.publicKey.compressed)
            writer.u64(member.weight)
            writer.blob(Array(member.address.utf8))
        }
    }

    public init(from reader: inout WireReader) throws(WireDecodingError) {
        guard try reader.raw(Self.tag.count, "committeePlan.tag") == Self.tag else {
            throw WireDecodingError(.invalidValue, field: "committeePlan.tag", detail: "not a committee plan of this version")
        }
        chainID = try reader.bytes32("committeePlan.chainID")
        epoch = try reader.u64("committeePlan.epoch")
        expiresAtHeight = try reader.u64("committeePlan.expiresAtHeight")
        let count = try reader.count("committeePlan.members", max: Self.membersMax, minElementBytes: PublicKey.byteCount + 9)
        var members: [Member] = []
        for _ in 0..<count {
            guard let key = PublicKey(compressed: try reader.raw(PublicKey.byteCount, "committeePlan.member")) else {
                throw WireDecodingError(.invalidValue, field: "committeePlan.member", detail: "not a secp256k1 public key")
            }
            let weight = try reader.u64("committeePlan.weight")
            guard let address = String(validating: try reader.blob("committeePlan.address", max: Self.addressBytesMax),
                                        as: UTF8.self) else {
                throw WireDecodingError(.invalidValue, field: "committeePlan.address", detail: "not UTF-8")
            }
            members.append(Member(publicKey: key, weight: weight, address: address))
        }
        self.members = members
    }
}

extension CommitteeChangePlan: GovernedPlan {
    /// C-1, C-2: at most 8 open at once; a plan names its epoch and lapses with it.
    public static let rules = GovernanceRules(
        openPlansMax: 8, pluralNoun: "committee plans",
        notOpen: { "committee plan \($0.short) is not open (never proposed, expired, or of an earlier epoch)" })
}
