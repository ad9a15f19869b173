import BatonCrypto
import Consensus

/// A host-level transaction: carried in a block's host payload, never shown
/// to the application, applied by every node at commit in block order, by
/// the schedule of its kind (`PlanKind`).
public enum HostTransaction: Hashable, Sendable {
    /// A new plan, with its proposer's approval (a proposer approves its own plan).
    case propose(GovernancePlan, Approval)
    /// Another member's approval of a plan of `PlanKind` already proposed.
    case approve(PlanKind, Approval)

    /// The approval it carries.
    public var approval: Approval {
        switch self {
        case .propose(_, let approval), .approve(_, let approval): approval
        }
    }

    /// Which schedule applies it.
    public var kind: PlanKind {
        switch self {
        case .propose(let plan, _): plan.kind
        case .approve(let kind, _): kind
        }
    }

    /// What the checks a block's validators make say about it, knowing only
    /// the chain and the committee (no state): nil if it may be in a block.
    /// Checks that need state (a known plan, a first approval, the deadline)
    /// are made at commit, where a transaction failing them is ignored.
    public func problem(chainID: Bytes32, committee: Committee, verifier: some SignatureVerifier) -> String? {
        if case .propose(let plan, let approval) = self {
            if let problem = plan.problem(chainID: chainID, committee: committee) { return problem }
            guard approval.planID == plan.id else { return "the proposer's approval is for another plan" }
        }
        let approval = self.approval
        guard let index = committee.index(of: approval.signer), committee.weight(of: index) > 0 else {
            return "signed by \(approval.signer), not a voting member of this committee"
        }
        guard approval.verifies(chainID: chainID, verifier: verifier) else {
            return "the signature is not \(approval.signer)'s over plan \(approval.planID.short) on this chain"
        }
        return nil
    }

    /// Bound of one transaction's encoding (a committee plan of
    /// `CommitteeChangePlan.membersMax` members with long addresses fits).
    public static let bytesMax = 24_576
}

extension HostTransaction: WireCodable {
    public func encode(to writer: inout WireWriter) {
        switch self {
        case .propose(let plan, let approval):
            writer.u8(plan.kind.proposalTag)
            plan.encode(to: &writer)
            approval.encode(to: &writer)
        case .approve(let kind, let approval):
            writer.u8(kind.approvalTag)
            approval.encode(to: &writer)
        }
    }

    public init(from reader: inout WireReader) throws(WireDecodingError) {
        let tag = try reader.u8("hostTransaction.kind")
        guard let (kind, proposes) = PlanKind.of(tag: tag) else {
            throw WireDecodingError(.invalidValue, field: "hostTransaction.kind", detail: "kind \(tag)")
        }
        if proposes {
            self = .propose(try GovernancePlan(kind: kind, from: &reader), try Approval(from: &reader))
        } else {
            self = .approve(kind, try Approval(from: &reader))
        }
    }
}

/// A block's host payload: a u16 count, then each transaction as a blob.
public enum HostPayload {
    /// At most this many host transactions in one block.
    public static let transactionsMax = 64

    public static func encode(_ transactions: [HostTransaction]) -> [UInt8] {
        guard !transactions.isEmpty else { return [] }
        var writer = WireWriter()
        writer.u16(UInt16(transactions.count))
        for transaction in transactions { writer.blob(transaction.encoded) }
        return writer.bytes
    }

    /// The transactions of `bytes` (empty: none), or a decoding error.
    public static func decode(_ bytes: [UInt8]) throws(WireDecodingError) -> [HostTransaction] {
        guard !bytes.isEmpty else { return [] }
        var reader = WireReader(bytes)
        let count = Int(try reader.u16("hostPayload.count"))
        guard count > 0, count <= transactionsMax else {
            throw WireDecodingError(.invalidValue, field: "hostPayload.count", detail: "\(count) transactions; 1-\(transactionsMax)")
        }
        var transactions: [HostTransaction] = []
        for _ in 0..<count {
            transactions.append(try HostTransaction.decode(try reader.blob("hostPayload.transaction", max: HostTransaction.bytesMax)))
        }
        guard reader.remaining == 0 else {
            throw WireDecodingError(.invalidValue, field: "hostPayload", detail: "\(reader.remaining) trailing bytes")
        }
        return transactions
    }
}

extension HostTransaction {
    /// How a host transaction travels as a client transaction (`POST /v1/tx`,
    /// gossip, the mempool): these 15 bytes, then its encoding. The node
    /// routes such bytes to the host, never to the app's `check_tx`; no app
    /// transaction begins with a NUL, "baton/host/v1" and a NUL by accident.
    public static let wirePrefix: [UInt8] = [0] + Array("baton/host/v1".utf8) + [0]

    /// The bytes a client submits.
    public var submission: [UInt8] { Self.wirePrefix + encoded }

    public static func isHostTransaction(_ bytes: [UInt8]) -> Bool {
        bytes.count > wirePrefix.count && bytes.starts(with: wirePrefix)
    }

    /// The host transaction a submission carries.
    public init(submission bytes: [UInt8]) throws(WireDecodingError) {
        guard Self.isHostTransaction(bytes) else {
            throw WireDecodingError(.invalidValue, field: "hostTransaction", detail: "no host prefix")
        }
        self = try Self.decode(Array(bytes.dropFirst(Self.wirePrefix.count)))
    }
}
