import BatonCrypto
import Consensus

/// A host-level transaction: carried in a block's host payload, never shown
/// to the application, applied by every node at commit in block order.
public enum HostTransaction: Hashable, Sendable {
    /// A new plan, with its proposer's approval (a proposer approves its own plan).
    case propose(UpgradePlan, UpgradeApproval)
    /// Another member's approval of a plan already proposed.
    case approve(UpgradeApproval)
    /// A committee change, with its proposer's approval (`CommitteeSchedule`).
    case proposeCommittee(CommitteeChangePlan, UpgradeApproval)
    /// Another member's approval of a committee plan already proposed.
    case approveCommittee(UpgradeApproval)

    /// The approval it carries.
    public var approval: UpgradeApproval {
        switch self {
        case .propose(_, let approval), .approve(let approval), .proposeCommittee(_, let approval),
             .approveCommittee(let approval): approval
        }
    }

    /// Whether `CommitteeSchedule` applies it (else `UpgradeSchedule` does).
    public var changesCommittee: Bool {
        switch self {
        case .proposeCommittee, .approveCommittee: true
        case .propose, .approve: false
        }
    }

    /// What the checks a block's validators make say about it, knowing only
    /// the chain and the committee (no state): nil if it may be in a block.
    /// Checks that need state (a known plan, a first approval, the deadline)
    /// are made at commit, where a transaction failing them is ignored.
    public func problem(chainID: Bytes32, committee: Committee, verifier: some SignatureVerifier) -> String? {
        if case .propose(let plan, let approval) = self {
            if let problem = plan.problem(chainID: chainID) { return "plan refused: \(problem)" }
            guard approval.planID == plan.id else { return "the proposer's approval is for another plan" }
        }
        if case .proposeCommittee(let plan, let approval) = self {
            if let problem = plan.problem(chainID: chainID, committee: committee) { return "committee plan refused: \(problem)" }
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
            writer.u8(1)
            plan.encode(to: &writer)
            approval.encode(to: &writer)
        case .approve(let approval):
            writer.u8(2)
            approval.encode(to: &writer)
        case .proposeCommittee(let plan, let approval):
            writer.u8(3)
            plan.encode(to: &writer)
            approval.encode(to: &writer)
        case .approveCommittee(let approval):
            writer.u8(4)
            approval.encode(to: &writer)
        }
    }

    public init(from reader: inout WireReader) throws(WireDecodingError) {
        switch try reader.u8("hostTransaction.kind") {
        case 1: self = .propose(try UpgradePlan(from: &reader), try UpgradeApproval(from: &reader))
        case 2: self = .approve(try UpgradeApproval(from: &reader))
        case 3: self = .proposeCommittee(try CommitteeChangePlan(from: &reader), try UpgradeApproval(from: &reader))
        case 4: self = .approveCommittee(try UpgradeApproval(from: &reader))
        case let other: throw WireDecodingError(.invalidValue, field: "hostTransaction.kind", detail: "kind \(other)")
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

extension UpgradeSchedule {
    /// Why `transaction` would change nothing if committed now (a mempool
    /// check, so clients hear of a replay or a late approval at once), or nil.
    public func admissionProblem(_ transaction: HostTransaction, height: Height) -> String? {
        let id = transaction.approval.planID
        switch transaction {
        case .propose(let plan, _):
            if open[id] != nil || decided.contains(where: { $0.plan.id == id }) { return "plan \(id.short) was proposed already" }
            if plan.expiresAtHeight <= height { return "its approval deadline, height \(plan.expiresAtHeight), has passed (the chain is at \(height))" }
            if let last = decided.last, plan.fromHeight <= last.plan.fromHeight {
                return "a decided plan starts at height \(last.plan.fromHeight); a new one must start after it"
            }
        case .approve(let approval):
            guard let entry = open[id] else {
                return decided.contains(where: { $0.plan.id == id })
                    ? "plan \(id.short) is decided already" : "plan \(id.short) is not open (never proposed, or expired)"
            }
            if entry.approvers.contains(approval.signer) { return "\(approval.signer) approved plan \(id.short) already" }
            if entry.plan.expiresAtHeight <= height { return "the plan's approval deadline, height \(entry.plan.expiresAtHeight), has passed" }
        case .proposeCommittee, .approveCommittee: break
        }
        return nil
    }
}
