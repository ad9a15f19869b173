import BatonCrypto
import Foundation
import Testing

@Suite struct CryptoTests {
    let digest = SHA256Digest.hash(Array("baton".utf8))

    @Test func signatureVerifiesForItsKeyAndDigestOnly() {
        let key = PrivateKey.generate()
        let other = PrivateKey.generate()
        let signature = Secp256k1Signer(key).sign(digest)
        let verifier = Secp256k1Verifier()
        #expect(verifier.verify(signature, digest: digest, publicKey: key.publicKey))
        #expect(!verifier.verify(signature, digest: SHA256Digest.hash([1]), publicKey: key.publicKey))
        #expect(!verifier.verify(signature, digest: digest, publicKey: other.publicKey))
    }

    @Test func compactSignaturesAre64BytesAndKeys33() {
        let key = PrivateKey.generate()
        #expect(Secp256k1Signer(key).sign(digest).bytes.count == 64)
        #expect(key.publicKey.compressed.count == 33)
        #expect(PublicKey(compressed: key.publicKey.compressed) == key.publicKey)
    }

    @Test func highSSignatureIsNormalizedAndAccepted() {
        let key = PrivateKey.generate()
        let low = Secp256k1Signer(key).sign(digest)
        // s' = n - s: the same signature in its malleated, high-S form.
        let order = Hex.decode("fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141")!
        let s = low.s.bytes
        var high = [UInt8](repeating: 0, count: 32)
        var borrow = 0
        for i in (0..<32).reversed() {
            var d = Int(order[i]) - Int(s[i]) - borrow
            borrow = d < 0 ? 1 : 0
            if d < 0 { d += 256 }
            high[i] = UInt8(d)
        }
        let malleated = Signature(r: low.r, s: Bytes32(high)!)
        #expect(malleated != low)
        #expect(Secp256k1Verifier().verify(malleated, digest: digest, publicKey: key.publicKey))
    }

    @Test func invalidKeysAreRefused() {
        #expect(PublicKey(compressed: [UInt8](repeating: 0, count: 33)) == nil)
        #expect(PublicKey(compressed: [2] + [UInt8](repeating: 0xFF, count: 32)) == nil)
        #expect(PrivateKey(bytes: [UInt8](repeating: 0, count: 32)) == nil)
        #expect(PrivateKey(bytes: [UInt8](repeating: 0xFF, count: 32)) == nil)
        #expect(PrivateKey(bytes: [1]) == nil)
    }

    @Test func privateKeyRoundTripsThroughItsBytes() {
        let key = PrivateKey.generate()
        #expect(PrivateKey(bytes: key.bytes)?.publicKey == key.publicKey)
        #expect(!key.description.contains(Hex.encode(key.bytes)))
    }

    @Test func sha256KnownVectorAndBytes32Ordering() {
        #expect(SHA256Digest.hash(Array("abc".utf8)).hex == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        let a = Bytes32([UInt8](repeating: 0, count: 31) + [1])!
        let b = Bytes32([1] + [UInt8](repeating: 0, count: 31))!
        #expect(a < b)
        #expect(Bytes32(a.bytes) == a)
        #expect(Hex.decode(a.hex) == a.bytes)
        #expect(Hex.decode("zz") == nil)
    }
}
