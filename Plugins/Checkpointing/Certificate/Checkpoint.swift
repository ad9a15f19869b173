import BatonCrypto
import Consensus

/// A proof-of-work block the federation finalized: its height and hash on the
/// chain. The interpreter's block payload is exactly one of these, or empty
/// (an idle round agrees on no checkpoint).
///
/// Payload encoding, version 1: the 4 bytes "BCK1", u64 big-endian height,
/// the 32-byte block hash (44 bytes). The interpreter plugin writes it
/// (Plugins/Checkpointing/Interpreter/CheckpointPayload.swift); everything that
/// reads a certificate decodes it here.
public struct Checkpoint: Hashable, Sendable, CustomStringConvertible {
    public static let magic: [UInt8] = Array("BCK1".utf8)
    public static let encodedBytes = 44

    public let height: UInt64
    public let hash: Bytes32

    public init(height: UInt64, hash: Bytes32) {
        self.height = height
        self.hash = hash
    }

    public var description: String { "checkpoint #\(height) \(hash.short)" }

    public var payload: [UInt8] {
        var writer = WireWriter(capacity: Self.encodedBytes)
        writer.raw(Self.magic)
        writer.u64(height)
        writer.bytes32(hash)
        return writer.bytes
    }

    /// nil for the empty payload of an idle round; throws for anything else
    /// that is not a version-1 checkpoint.
    public static func decode(payload: [UInt8]) throws(CheckpointCertificateError) -> Checkpoint? {
        if payload.isEmpty { return nil }
        guard payload.count == encodedBytes, Array(payload.prefix(4)) == magic else {
            throw .notACheckpoint("payload of \(payload.count) bytes is not a version-1 checkpoint")
        }
        var reader = WireReader(Array(payload.dropFirst(4)))
        do {
            return Checkpoint(height: try reader.u64("checkpoint.height"), hash: try reader.bytes32("checkpoint.hash"))
        } catch {
            throw .notACheckpoint("\(error)")
        }
    }
}
