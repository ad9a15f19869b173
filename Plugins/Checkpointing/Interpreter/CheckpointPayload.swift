/// The interpreter's block payload: one checkpoint candidate, or nothing.
///
/// Version 1: the 4 bytes "BCK1", u64 big-endian height, 32-byte block hash.
/// Verifiers decode it with `Checkpointing.Checkpoint` (the plugin links no
/// host module, so the few lines of the format live on both sides).
struct CheckpointPayload: Hashable, Sendable {
    static let magic: [UInt8] = Array("BCK1".utf8)
    static let bytes = 44

    let height: UInt64
    let hash: [UInt8]

    var encoded: [UInt8] {
        var out = Self.magic
        out.reserveCapacity(Self.bytes)
        for shift in stride(from: 56, through: 0, by: -8) { out.append(UInt8(truncatingIfNeeded: height >> UInt64(shift))) }
        return out + hash
    }

    /// nil for anything but a well-formed version-1 payload.
    init?(_ payload: [UInt8]) {
        guard payload.count == Self.bytes, Array(payload.prefix(4)) == Self.magic else { return nil }
        height = payload[4..<12].reduce(0) { $0 << 8 | UInt64($1) }
        hash = Array(payload[12...])
    }

    init(height: UInt64, hash: [UInt8]) {
        self.height = height
        self.hash = hash
    }

    var hex: String { hash.map { String($0, radix: 16).leftPadded() }.joined() }
}

/// The certificate envelope, version 1: "BCRT", u8 1, u32 payload length,
/// payload, u32 proof length, the host's finality proof (ABI 1.1). Verified
/// by `Checkpointing.CheckpointCertificate`.
enum CertificateEnvelope {
    static func encode(payload: [UInt8], finalityProof: [UInt8]) -> [UInt8] {
        var out = Array("BCRT".utf8) + [1]
        for part in [payload, finalityProof] {
            let n = UInt32(part.count)
            out += [UInt8(n >> 24), UInt8(n >> 16 & 0xFF), UInt8(n >> 8 & 0xFF), UInt8(n & 0xFF)]
            out += part
        }
        return out
    }
}

extension String {
    func leftPadded() -> String { count == 1 ? "0" + self : self }
}
