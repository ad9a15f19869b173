import BatonAPI
import BatonCrypto
import Consensus

/// Misbehavior this node saw with its own eyes — double proposals, double
/// votes, double timeouts — each kept with both signed messages, so anyone
/// holding the committee's public keys can check it offline (the digests are
/// `SigningDomain`'s, over the chain id; the messages are in wire encoding).
///
/// Bound: `capacity` records and `bytesMax` bytes of them (the oldest go
/// first), at most one per (kind, offender, view). A record is about 1 KiB,
/// plus both payloads for a double proposal: a Byzantine leader proposing
/// two large blocks in every view must not grow the log past `bytesMax`.
public struct EvidenceLog: Sendable {
    public struct Record: Sendable {
        public let evidence: Evidence
        public let offenderKey: PublicKey?
        public let seenAtMs: UInt64
        /// The committee's epoch when it was seen: its signing domain is
        /// what the signatures cover (EP-2).
        public var epoch: Epoch = 0
    }

    public let capacity: Int
    public let bytesMax: Int
    public private(set) var records: [Record] = []
    /// Approximate bytes the records hold (`Record.size`).
    public private(set) var bytes = 0
    /// Records ever added (the log keeps the newest `capacity`).
    public private(set) var total = 0
    private var seen: Set<Key> = []

    struct Key: Hashable {
        let epoch: Epoch
        let kind: String
        let offender: ValidatorIndex
        let view: View
    }

    public init(capacity: Int = 1_000, bytesMax: Int = 64 * 1024 * 1024) {
        precondition(capacity > 0 && bytesMax > 0, "the evidence log needs room")
        self.capacity = capacity
        self.bytesMax = bytesMax
    }

    /// Adds `evidence` unless this offender's same kind of proof for that view is kept; returns whether it was new.
    /// Views repeat across epochs: the key includes the epoch.
    public mutating func add(_ evidence: Evidence, offenderKey: PublicKey?, nowMs: UInt64, epoch: Epoch = 0) -> Bool {
        let key = Key(epoch: epoch, kind: evidence.kind, offender: evidence.offender, view: evidence.view)
        guard seen.insert(key).inserted else { return false }
        let record = Record(evidence: evidence, offenderKey: offenderKey, seenAtMs: nowMs, epoch: epoch)
        records.append(record)
        bytes += record.size
        total += 1
        // The newest record stays even if it alone is over the byte bound.
        while records.count > capacity || (bytes > bytesMax && records.count > 1) {
            let oldest = records.removeFirst()
            bytes -= oldest.size
            seen.remove(Key(epoch: oldest.epoch, kind: oldest.evidence.kind, offender: oldest.evidence.offender,
                            view: oldest.evidence.view))
        }
        return true
    }
}

extension EvidenceLog.Record {
    /// What the record holds, roughly: 1 KiB of messages, plus the payloads.
    var size: Int {
        if case .doubleProposal(let a, let b) = evidence { return 1_024 + a.block.payload.count + b.block.payload.count }
        return 1_024
    }

    /// The record as the API shows it: who, which view, and both signed
    /// messages with what each signature covers.
    public func report(chainID: Bytes32) -> EvidenceReport {
        let signingDomain = SigningDomain.epochDomain(chainID: chainID, epoch: epoch)  // what the signatures cover
        func signed(_ type: String, _ encoded: [UInt8], digest: Bytes32, signature: Signature, blockID: BlockID? = nil,
                    highQCView: View? = nil) -> EvidenceReport.SignedMessage {
            EvidenceReport.SignedMessage(type: type, message: Hex.encode(encoded), digest: digest.hex,
                                         signature: Hex.encode(signature.bytes), blockID: blockID?.hex, highQCView: highQCView)
        }
        let messages: [EvidenceReport.SignedMessage]
        switch evidence {
        case .doubleVote(let a, let b):
            messages = [a, b].map {
                signed("vote", $0.encoded, digest: SigningDomain.voteDigest(domain: signingDomain, view: $0.view, blockID: $0.blockID),
                       signature: $0.signature, blockID: $0.blockID)
            }
        case .doubleProposal(let a, let b):
            messages = [a, b].map {
                signed("proposal", $0.encoded,
                       digest: SigningDomain.voteDigest(domain: signingDomain, view: $0.block.view, blockID: $0.block.id),
                       signature: $0.signature, blockID: $0.block.id)
            }
        case .doubleTimeout(let a, let b):
            messages = [a, b].map {
                signed("timeout", $0.encoded,
                       digest: SigningDomain.timeoutDigest(domain: signingDomain, view: $0.view, highQCView: $0.highQC.view),
                       signature: $0.signature, highQCView: $0.highQC.view)
            }
        }
        return EvidenceReport(kind: evidence.kind, offender: Int(evidence.offender), view: evidence.view, chainID: chainID.hex,
                              seenAtMs: seenAtMs, epoch: epoch, publicKey: offenderKey?.hex, messages: messages)
    }
}
