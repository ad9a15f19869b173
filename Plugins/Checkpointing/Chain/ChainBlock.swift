import BatonCrypto
import Checkpointing
import Consensus

/// A block of the checkpoint-assisted proof-of-work chain.
///
/// The header commits to everything: the transactions through `txRoot` (a
/// Merkle root), and the checkpoint the chain carries through
/// `checkpointHeight`/`checkpointHash` (the latest checkpoint on this branch)
/// and `certificateHash` (SHA-256 of the certificate this block introduces, or
/// zero). The certificate rides in the body, so every chain node — one that
/// joins later too — sees and checks it.
///
/// Block hash: double SHA-256 of the header encoding (Bitcoin's rule).
public struct ChainBlock: Hashable, Sendable {
    public struct Header: Hashable, Sendable {
        public static let version: UInt8 = 1
        public var parent: Bytes32
        public var height: UInt64
        public var timestampMs: UInt64
        /// Leading zero bits the hash must have; fixed per chain (no retargeting).
        public var difficultyBits: UInt8
        public var nonce: UInt64
        public var checkpointHeight: UInt64
        public var checkpointHash: Bytes32
        public var certificateHash: Bytes32
        public var txRoot: Bytes32
        /// Who mined it (a label, for the status page).
        public var miner: UInt16

        public init(parent: Bytes32, height: UInt64, timestampMs: UInt64, difficultyBits: UInt8, nonce: UInt64,
                    checkpointHeight: UInt64, checkpointHash: Bytes32, certificateHash: Bytes32, txRoot: Bytes32, miner: UInt16) {
            self.parent = parent
            self.height = height
            self.timestampMs = timestampMs
            self.difficultyBits = difficultyBits
            self.nonce = nonce
            self.checkpointHeight = checkpointHeight
            self.checkpointHash = checkpointHash
            self.certificateHash = certificateHash
            self.txRoot = txRoot
            self.miner = miner
        }

        public var encoded: [UInt8] {
            var w = WireWriter(capacity: 160)
            w.u8(Self.version)
            w.bytes32(parent)
            w.u64(height)
            w.u64(timestampMs)
            w.u8(difficultyBits)
            w.u64(nonce)
            w.u64(checkpointHeight)
            w.bytes32(checkpointHash)
            w.bytes32(certificateHash)
            w.bytes32(txRoot)
            w.u16(miner)
            return w.bytes
        }

        public var hash: Bytes32 { SHA256Digest.hash(SHA256Digest.hash(encoded).bytes) }

        static func decode(from r: inout WireReader) throws(WireDecodingError) -> Header {
            let version = try r.u8("header.version")
            guard version == Self.version else { throw WireDecodingError(.unknownVersion, field: "header.version", detail: "\(version)") }
            return Header(parent: try r.bytes32("header.parent"), height: try r.u64("header.height"),
                          timestampMs: try r.u64("header.timestampMs"), difficultyBits: try r.u8("header.difficultyBits"),
                          nonce: try r.u64("header.nonce"), checkpointHeight: try r.u64("header.checkpointHeight"),
                          checkpointHash: try r.bytes32("header.checkpointHash"),
                          certificateHash: try r.bytes32("header.certificateHash"), txRoot: try r.bytes32("header.txRoot"),
                          miner: try r.u16("header.miner"))
        }
    }

    public static let transactionsMax = 1_000
    public static let transactionBytesMax = 4_096

    public let header: Header
    /// The checkpoint certificate this block introduces (empty: none).
    public let certificate: [UInt8]
    public let transactions: [[UInt8]]
    public let hash: Bytes32

    public init(header: Header, certificate: [UInt8], transactions: [[UInt8]]) {
        self.header = header
        self.certificate = certificate
        self.transactions = transactions
        hash = header.hash
    }

    public var height: UInt64 { header.height }
    public var parent: Bytes32 { header.parent }
    /// Expected hashes to find it: 2^bits.
    public var work: Double { Double(sign: .plus, exponent: Int(header.difficultyBits), significand: 1) }

    public static func merkleRoot(_ transactions: [[UInt8]]) -> Bytes32 {
        var level = transactions.map { SHA256Digest.hash($0) }
        if level.isEmpty { return .zero }
        while level.count > 1 {
            if level.count % 2 == 1 { level.append(level[level.count - 1]) }
            level = stride(from: 0, to: level.count, by: 2).map { SHA256Digest.hash(level[$0].bytes + level[$0 + 1].bytes) }
        }
        return level[0]
    }

    public static func certificateHash(_ certificate: [UInt8]) -> Bytes32 {
        certificate.isEmpty ? .zero : SHA256Digest.hash(certificate)
    }

    /// Proof of work: the hash has at least `bits` leading zero bits.
    public static func meets(_ hash: Bytes32, bits: UInt8) -> Bool {
        var remaining = Int(bits)
        for byte in hash.bytes {
            if remaining <= 0 { return true }
            if remaining >= 8 {
                guard byte == 0 else { return false }
                remaining -= 8
            } else {
                return byte >> (8 - remaining) == 0
            }
        }
        return remaining <= 0
    }

    public var encoded: [UInt8] {
        var w = WireWriter(capacity: 256 + certificate.count)
        w.raw(header.encoded)
        w.blob(certificate)
        w.u16(UInt16(transactions.count))
        for tx in transactions { w.blob(tx) }
        return w.bytes
    }

    public static func decode(_ bytes: [UInt8]) throws(WireDecodingError) -> ChainBlock {
        var r = WireReader(bytes)
        let header = try Header.decode(from: &r)
        let certificate = try r.blob("block.certificate", max: CheckpointCertificate.bytesMax)
        let count = try r.count("block.transactions", max: transactionsMax, minElementBytes: 4)
        var transactions: [[UInt8]] = []
        for _ in 0..<count { transactions.append(try r.blob("block.transaction", max: transactionBytesMax)) }
        try r.expectEnd("block")
        return ChainBlock(header: header, certificate: certificate, transactions: transactions)
    }

    /// The chain's first block: the same on every node of one chain.
    public static func genesis(name: String) -> ChainBlock {
        let transactions = [Array("genesis of \(name)".utf8)]
        let header = Header(parent: .zero, height: 0, timestampMs: 0, difficultyBits: 0, nonce: 0, checkpointHeight: 0,
                            checkpointHash: .zero, certificateHash: .zero, txRoot: merkleRoot(transactions), miner: 0)
        return ChainBlock(header: header, certificate: [], transactions: transactions)
    }
}
