import BatonCrypto
import Consensus
import Storage

/// Why a node with nothing but the genesis may trust a peer's snapshot of
/// height H (issue 31, item 3; docs/storage.md "State sync"):
///
/// - `finality`: headers H … X, each the parent of the next, X's 2-chain
///   certified — block H is final (the 2-chain rule), checked under the
///   committee of H's epoch, which `epochRecords` lead to from the genesis
///   committee (EP-2, each switch record verified under the committee before).
/// - one of those final headers claims H's app state hash (AA-0): that is
///   the hash the honest apps reached at H (AA-2) — the manifest must name it.
/// - the head's certificate restored with the snapshot is header 1's QC
///   (it certifies H and sits in a final block).
///
/// What it cannot prove is that the chunks hold the state behind that hash:
/// the manifest's chunk hashes are vouched for by members holding more than a
/// third of the weight (`OfferBook`) — the chunks are alike on every honest
/// member — and the restored head's state hash must be the certified one.
public struct SnapshotProof: Sendable, Hashable {
    public static let version: UInt8 = 1
    /// A claim of H is looked for in at most this many blocks above it.
    public static let headersMax = 256

    public let finality: FinalityProof
    /// The epoch records (`EpochRecord` encodings) from epoch 1 up to H's epoch.
    public let epochRecords: [[UInt8]]

    public init(finality: FinalityProof, epochRecords: [[UInt8]]) {
        self.finality = finality
        self.epochRecords = epochRecords
    }

    public var encoded: [UInt8] {
        var w = WireWriter(capacity: 1024)
        w.u8(Self.version)
        w.blob(finality.encoded)
        w.u16(UInt16(epochRecords.count))
        for record in epochRecords { w.blob(record) }
        return w.bytes
    }

    public static func decode(_ bytes: [UInt8]) throws(WireDecodingError) -> SnapshotProof {
        var r = WireReader(bytes)
        let version = try r.u8("snapshotProof.version")
        guard version == Self.version else {
            throw WireDecodingError(.unknownVersion, field: "snapshotProof.version", detail: "\(version), this build reads \(Self.version)")
        }
        let finality = try FinalityProof.decode(try r.blob("snapshotProof.finality", max: StateSyncMessage.proofBytesMax))
        let count = try r.count("snapshotProof.epochRecords", max: Int(UInt16.max), minElementBytes: 4)
        var records: [[UInt8]] = []
        for _ in 0..<count { records.append(try r.blob("snapshotProof.epochRecord", max: 1 << 20)) }
        try r.expectEnd("snapshotProof")
        return SnapshotProof(finality: finality, epochRecords: records)
    }

    /// What a checked proof establishes.
    public struct Checked: Sendable {
        /// The committee that finalized H (vouching is counted in it).
        public let committee: Committee
        /// The head's certificate and the epoch records, to restore with the chunks.
        public let anchor: [(key: [UInt8], value: [UInt8])]
    }

    /// Checks every rule above against `manifest`, from the genesis.
    public func check(_ manifest: SnapshotManifest, genesis: Committee, genesisID: BlockID,
                      verifier: any SignatureVerifier) throws(SnapshotRefusal) -> Checked {
        guard manifest.genesis == genesisID else { throw .otherChain(manifest.genesis) }
        var changes: [EpochChange] = []
        for (index, bytes) in epochRecords.enumerated() {
            guard let record = try? EpochRecord.decode(bytes), record.epoch == UInt64(index + 1) else {
                throw .badEpochRecord(epoch: UInt64(index + 1))
            }
            changes.append(record.change)
        }
        guard finality.epoch == UInt64(changes.count) else {
            throw .proof("the proof is signed by the committee of epoch \(finality.epoch), its records reach epoch \(changes.count)")
        }
        let final: BlockHeader
        do { final = try finality.verify(genesis: genesis, changes: changes, verifier: verifier) } catch {
            throw .proof("\(error)")
        }
        let head = manifest.head
        guard final.id == head.blockID, final.height == head.height else {
            throw .proof("the proof is of block \(final.id.short)… at height \(final.height), the manifest's head is \(head.blockID.short)… at \(head.height)")
        }
        guard let claim = finality.headers.dropFirst().first(where: { $0.executedHeight >= head.height }),
              claim.executedHeight == head.height else {
            throw .proof("no header of the proof claims height \(head.height)'s app state")
        }
        guard claim.executedStateHash == head.stateHash else {
            throw .wrongStateHash(manifest: head.stateHash, certified: claim.executedStateHash)
        }
        let committee = changes.last?.committee ?? genesis
        let certificate = finality.headers[1].qc
        return Checked(committee: committee,
                       anchor: SnapshotKeys.anchor(head: head, certificate: certificate.encoded, epochRecords: epochRecords))
    }
}

/// Why a snapshot offered by a peer (or imported) is refused; each says what is wrong.
public enum SnapshotRefusal: Error, Hashable, Sendable, CustomStringConvertible {
    case otherChain(BlockID)
    case badEpochRecord(epoch: Epoch)
    case proof(String)
    case wrongStateHash(manifest: Bytes32, certified: Bytes32)
    case malformed(String)

    public var description: String {
        switch self {
        case .otherChain(let id): "the snapshot is of another chain (genesis \(id.short)…)"
        case .badEpochRecord(let epoch): "the snapshot's proof carries a malformed or misplaced switch record for epoch \(epoch)"
        case .proof(let why): "the snapshot's proof does not hold: \(why)"
        case .wrongStateHash(let manifest, let certified):
            "the snapshot names app state hash \(manifest.hex), the certified chain says \(certified.hex) at its height"
        case .malformed(let why): "the snapshot offer is malformed: \(why)"
        }
    }
}

extension SnapshotProof {
    /// The proof for `manifest` from this node's store, or nil when the
    /// blocks above its height do not (yet) hold one: no claim of H among
    /// them so far (it comes a few blocks later), a claim that skipped H (a
    /// timeout — that snapshot is never provable), or an epoch switch in the way.
    public static func build(for manifest: SnapshotManifest, store: NodeStore, chainID: Bytes32) throws(StorageError) -> SnapshotProof? {
        let head = manifest.head
        let rows = try store.finalizedBlocks(from: head.height, limit: headersMax)
        guard let first = rows.first, first.block.id == head.blockID else { return nil }
        let records = try store.epochRecords()
        let decoded = records.compactMap { try? EpochRecord.decode($0) }
        guard decoded.count == records.count else { return nil }
        // H's epoch: the switches whose root is below it. A switch at or above H
        // within the proof's blocks would mix committees: not provable.
        let epoch = decoded.filter { $0.change.root.height < head.height }.count
        let switchHeights = decoded.map(\.change.root.height).filter { $0 >= head.height }
        guard let claimIndex = rows.indices.dropFirst().first(where: { rows[$0].block.header.executedHeight >= head.height }),
              rows[claimIndex].block.header.executedHeight == head.height else { return nil }
        for j in max(claimIndex, 1)..<rows.count {
            if switchHeights.contains(where: { $0 < rows[j].block.height }) { return nil }
            let certified = rows[j].block, final = rows[j - 1].block
            guard certified.view == final.view + 1, certified.header.qc.view == final.view else { continue }
            let finality = FinalityProof(chainID: chainID, epoch: UInt64(epoch),
                                         headers: rows[0...j].map(\.block.header), qc: rows[j].qc)
            return SnapshotProof(finality: finality, epochRecords: Array(records.prefix(epoch)))
        }
        return nil
    }
}
