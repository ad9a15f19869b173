import BatonCrypto

/// The switch from one committee to the next, and the proof that it happened
/// where it says (EP-1 … EP-4 in docs/consensus.md).
///
/// `root` is the last block of epoch `epoch - 1`: the block whose commit
/// decided the change. It is final in that epoch because of `above` and
/// `qc`, signed by the old committee: `above` are the old epoch's blocks
/// from the root's child up, each the parent of the next, the last certified
/// by `qc` and one view above the one before it — the 2-chain rule, as in
/// `FinalityProof` (mostly `above` is just the root's child; it is longer
/// when the root became final only through a descendant). Epoch `epoch`
/// starts from `root`: its first block extends it with
/// `QuorumCertificate.root(of:)`, and no block of `above` is ever committed
/// (EP-1).
///
/// Every node keeps this record: a node still in the old epoch needs
/// `above` and `qc` to finalize the root (no block of the new epoch
/// validates under the old committee), and anyone verifying a proof of a
/// later height walks the records from the genesis committee.
public struct EpochChange: Sendable {
    public let committee: Committee
    public let root: Block
    public let above: [Block]
    public let qc: QuorumCertificate

    public init(committee: Committee, root: Block, above: [Block], qc: QuorumCertificate) {
        self.committee = committee
        self.root = root
        self.above = above
        self.qc = qc
    }

    public var epoch: Epoch { committee.epoch }

    /// The committee as it runs its epoch (with the newcomer grace, EP-5).
    public func committeeInForce(previous: Committee) -> Committee {
        committee.startingAfter(rootView: root.view, previous: previous)
    }

    /// The committee in force after `changes` (oldest first), from `genesis`.
    public static func committeeInForce(after changes: [EpochChange], genesis: Committee) -> Committee {
        guard let last = changes.last else { return genesis }
        return last.committeeInForce(previous: changes.dropLast().last?.committee ?? genesis)
    }

    /// The record of the finalization that reached `root`, the last block
    /// of the epoch before `committee`'s; nil if it did not reach it.
    public init?(committee: Committee, root: Block, finalization: Forks.Finalization) {
        guard let position = finalization.blocks.firstIndex(where: { $0.id == root.id }) else { return nil }
        self.init(committee: committee, root: root, above: finalization.blocks[(position + 1)...] + [finalization.child],
                  qc: finalization.childQC)
    }

    /// EP-4: `root` is final under `previous` (the 2-chain), and this record
    /// names the next epoch. What the new committee is was decided by the
    /// committed chain up to `root`, which the old committee certified.
    public func verify(previous: Committee, verifier: any SignatureVerifier) throws(FinalityProofError) {
        guard committee.epoch == previous.epoch + 1, committee.chainID == previous.chainID else {
            throw .wrongChain(expected: previous.signingDomain, got: committee.signingDomain)
        }
        let proof = FinalityProof(chainID: previous.chainID, epoch: previous.epoch, headers: [root.header] + above.map(\.header), qc: qc)
        _ = try proof.verify(committee: previous, verifier: verifier)
    }
}

extension Committee {
    /// The committee of the next epoch: `members` (the whole new list, in
    /// order), the same chain and leader seed, `epoch + 1`.
    public func following(members: [Member]) throws(InvalidCommittee) -> Committee {
        try Committee(chainID: chainID, members: members, leaderSeed: leaderSeed, epoch: epoch + 1)
    }
}

extension EpochChange: WireCodable {
    /// More blocks above the root than this is refused on decoding: the
    /// 2-chain over the root is one or two blocks; a longer run happens only
    /// when the root became final through later blocks of the same epoch.
    public static let aboveMax = 64
    public static let version: UInt8 = 1

    /// Encoding, version 1 (big-endian): u8 version, chain id, epoch, leader
    /// seed, u16 member count, each member's compressed key and weight; the
    /// root block, u16 count and the blocks above it, the QC.
    public func encode(to writer: inout WireWriter) {
        writer.u8(Self.version)
        committee.encodeMembers(to: &writer)
        root.encode(to: &writer)
        writer.u16(UInt16(above.count))
        for block in above { block.encode(to: &writer) }
        qc.encode(to: &writer)
    }

    public init(from reader: inout WireReader) throws(WireDecodingError) {
        let version = try reader.u8("epochChange.version")
        guard version == Self.version else {
            throw WireDecodingError(.unknownVersion, field: "epochChange.version", detail: "version \(version)")
        }
        let committee = try Committee.decodeMembers(from: &reader)
        let root = try Block(from: &reader)
        let count = try reader.count("epochChange.above", max: Self.aboveMax, minElementBytes: 100)
        var above: [Block] = []
        for _ in 0..<count { above.append(try Block(from: &reader)) }
        guard above.first?.parentID == root.id else {
            throw WireDecodingError(.invalidValue, field: "epochChange.above", detail: "does not extend the root")
        }
        self.init(committee: committee, root: root, above: above, qc: try QuorumCertificate(from: &reader))
    }
}

extension Committee {
    /// Chain id, epoch, leader seed, then the members (key, weight) in order.
    public func encodeMembers(to writer: inout WireWriter) {
        writer.bytes32(chainID)
        writer.u64(epoch)
        writer.bytes32(leaderSeed)
        writer.u16(UInt16(members.count))
        for member in members {
            writer.raw(member.publicKey.compressed)
            writer.u64(member.weight)
        }
    }

    public static func decodeMembers(from reader: inout WireReader) throws(WireDecodingError) -> Committee {
        let chainID = try reader.bytes32("committee.chainID")
        let epoch = try reader.u64("committee.epoch")
        let seed = try reader.bytes32("committee.leaderSeed")
        let count = try reader.count("committee.members", max: WireLimits.standard.signersMax,
                                     minElementBytes: PublicKey.byteCount + 8)
        var members: [Member] = []
        for _ in 0..<count {
            guard let key = PublicKey(compressed: try reader.raw(PublicKey.byteCount, "committee.member")) else {
                throw WireDecodingError(.invalidValue, field: "committee.member", detail: "not a secp256k1 public key")
            }
            members.append(Member(publicKey: key, weight: try reader.u64("committee.weight")))
        }
        do { return try Committee(chainID: chainID, members: members, leaderSeed: seed, epoch: epoch) } catch {
            throw WireDecodingError(.invalidValue, field: "committee", detail: error.description)
        }
    }
}
