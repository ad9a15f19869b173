import Crypto

/// SHA-256, the one hash of the protocol (block ids, signing digests).
public enum SHA256Digest {
    public static func hash(_ bytes: [UInt8]) -> Bytes32 {
        bytes.withUnsafeBytes { hash($0) }
    }

    public static func hash(_ raw: UnsafeRawBufferPointer) -> Bytes32 {
        SHA256.hash(data: raw).withUnsafeBytes { Bytes32(unsafe: $0) }
    }
}
