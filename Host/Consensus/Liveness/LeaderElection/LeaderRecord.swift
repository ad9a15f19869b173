/// What one finalized block tells about its committee's members, for leader
/// reputation (LR-1 in docs/consensus.md): who proposed it, whose votes certified
/// its parent (the QC it carries), and which leader it shows failed (LR-5:
/// the leader of the view before it, when its parent is older).
///
/// A pure function of the finalized chain and the records before it, so
/// every honest node derives the same records; nodes persist them beside the
/// blocks because the failed leaders of a view depend on the reputation in
/// force then (a restart cannot recompute them without replaying the epoch).
public struct LeaderRecord: Hashable, Sendable {
    public let height: Height
    public let view: View
    public let proposer: ValidatorIndex
    /// The signers of the QC the block carries (its parent's voters).
    public let voters: SignerSet
    /// The leaders it shows failed (LR-5: at most one today; the encoding
    /// takes up to `failedViewsMax`, so a later rule can blame more).
    public let failedLeaders: [ValidatorIndex]

    public static let failedViewsMax = 64

    public init(height: Height, view: View, proposer: ValidatorIndex, voters: SignerSet, failedLeaders: [ValidatorIndex]) {
        precondition(failedLeaders.count <= Self.failedViewsMax, "a record keeps at most failedViewsMax failed leaders")
        self.height = height
        self.view = view
        self.proposer = proposer
        self.voters = voters
        self.failedLeaders = failedLeaders
    }
}

extension LeaderRecord: WireCodable {
    public func encode(to writer: inout WireWriter) {
        writer.u64(height)
        writer.u64(view)
        writer.u16(proposer)
        voters.encode(to: &writer)
        writer.u16(UInt16(failedLeaders.count))
        for leader in failedLeaders { writer.u16(leader) }
    }

    public init(from reader: inout WireReader) throws(WireDecodingError) {
        let height = try reader.u64("record.height")
        let view = try reader.u64("record.view")
        let proposer = try reader.u16("record.proposer")
        let voters = try SignerSet(from: &reader)
        let count = try reader.count("record.failedLeaders", max: Self.failedViewsMax, minElementBytes: 2)
        var failed: [ValidatorIndex] = []
        for _ in 0..<count { failed.append(try reader.u16("record.failedLeader")) }
        self.init(height: height, view: view, proposer: proposer, voters: voters, failedLeaders: failed)
    }
}
