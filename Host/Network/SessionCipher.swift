import Crypto
import NIOCore

/// The encrypted channel after a handshake: ChaChaPoly with one key per
/// direction and a 64-bit frame counter as nonce. TCP delivers in order, so a
/// frame replayed, dropped or reordered by anyone in between fails to open.
public struct SessionCipher: Sendable {
    public static let tagBytes = 16
    let sendKey: SymmetricKey
    let receiveKey: SymmetricKey
    private var sent: UInt64 = 0
    private var received: UInt64 = 0

    init(sendKey: SymmetricKey, receiveKey: SymmetricKey) {
        self.sendKey = sendKey
        self.receiveKey = receiveKey
    }

    /// The next frame as bytes (`sealFrame` is what the transport sends).
    public mutating func seal(_ plaintext: [UInt8]) -> [UInt8] {
        Array(buffer: sealFrame(plaintext, allocator: ByteBufferAllocator()))
    }

    /// Ciphertext then tag, written straight into a frame's buffer.
    mutating func sealFrame(_ plaintext: [UInt8], allocator: ByteBufferAllocator) -> ByteBuffer {
        defer { sent += 1 }
        // Cannot fail for a 32-byte key and a 12-byte nonce.
        let box = try! ChaChaPoly.seal(plaintext, using: sendKey, nonce: Self.nonce(sent))
        var frame = allocator.buffer(capacity: plaintext.count + Self.tagBytes)
        frame.writeBytes(box.ciphertext)
        frame.writeBytes(box.tag)
        return frame
    }

    public mutating func open(_ frame: [UInt8]) throws(HandshakeError) -> [UInt8] {
        guard frame.count >= Self.tagBytes else { throw .malformed("frame shorter than its tag") }
        do {
            let box = try ChaChaPoly.SealedBox(nonce: Self.nonce(received), ciphertext: frame.dropLast(Self.tagBytes),
                                               tag: frame.suffix(Self.tagBytes))
            let plaintext = try ChaChaPoly.open(box, using: receiveKey)
            received += 1
            return Array(plaintext)
        } catch {
            throw .malformed("frame fails authentication")
        }
    }

    /// The two directions, for the reader (`SessionReader`) and the sender (`PeerSender`).
    public func split() -> (sealer: SessionCipher, opener: SessionCipher) { (self, self) }

    static func nonce(_ counter: UInt64) -> ChaChaPoly.Nonce {
        var bytes = [UInt8](repeating: 0, count: 4)
        withUnsafeBytes(of: counter.bigEndian) { bytes.append(contentsOf: $0) }
        return try! ChaChaPoly.Nonce(data: bytes)
    }
}
