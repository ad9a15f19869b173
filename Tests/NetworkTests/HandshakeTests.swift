import BatonCrypto
import Consensus
@testable import BatonNetwork
import Testing

@Suite struct HandshakeTests {
    let chain = SHA256Digest.hash(Array("net".utf8))
    let a = Secp256k1Signer(PrivateKey.generate())
    let b = Secp256k1Signer(PrivateKey.generate())
    let verifier = Secp256k1Verifier()

    func pair(allow: @escaping (PublicKey) -> Bool = { _ in true }) throws -> (SessionCipher, SessionCipher) {
        let authorize = { (key: PublicKey) throws(HandshakeError) in if !allow(key) { throw .unauthorizedPeer(key.hex) } }
        var initiator = Handshake(role: .initiator, chainID: chain, signer: a)
        var responder = Handshake(role: .responder, chainID: chain, signer: b)
        let authA = try initiator.receiveHello(responder.hello)
        let authB = try responder.receiveHello(initiator.hello)
        let (peerOfA, cipherA) = try initiator.receiveAuth(authB, verifier: verifier, authorize: authorize)
        let (peerOfB, cipherB) = try responder.receiveAuth(authA, verifier: verifier, authorize: authorize)
        #expect(peerOfA == b.publicKey && peerOfB == a.publicKey)
        return (cipherA, cipherB)
    }

    @Test func bothSidesAgreeAndTrafficIsSealedBothWays() throws {
        var (x, y) = try pair()
        let sealed = x.seal(Array("vote".utf8))
        #expect(sealed != Array("vote".utf8) && sealed.count == 4 + 16)
        #expect(try y.open(sealed) == Array("vote".utf8))
        #expect(try x.open(y.seal([1, 2, 3])) == [1, 2, 3])
    }

    @Test func tamperedReplayedAndReorderedFramesFail() throws {
        var (x, y) = try pair()
        var first = x.seal([1])
        let second = x.seal([2])
        first[0] ^= 1
        #expect(throws: HandshakeError.self) { try y.open(first) }
        var (p, q) = try pair()
        let one = p.seal([1]), two = p.seal([2])
        #expect(throws: HandshakeError.self) { try q.open(two) }  // out of order
        #expect(try q.open(one) == [1])
        #expect(throws: HandshakeError.self) { try q.open(one) }  // replayed
        _ = second
    }

    @Test func anotherChainIsRefused() {
        let initiator = Handshake(role: .initiator, chainID: chain, signer: a)
        var responder = Handshake(role: .responder, chainID: SHA256Digest.hash([9]), signer: b)
        #expect(throws: HandshakeError.wrongChain) { try responder.receiveHello(initiator.hello) }
    }

    @Test func aForgedOrReflectedAuthenticationIsRefused() throws {
        var initiator = Handshake(role: .initiator, chainID: chain, signer: a)
        var responder = Handshake(role: .responder, chainID: chain, signer: b)
        let authA = try initiator.receiveHello(responder.hello)
        var authB = try responder.receiveHello(initiator.hello)
        // Reflection: the initiator's own authentication sent back to it.
        #expect(throws: HandshakeError.badSignature) { try initiator.receiveAuth(authA, verifier: verifier) { _ in } }
        authB[10] ^= 1
        #expect(throws: HandshakeError.badSignature) { try initiator.receiveAuth(authB, verifier: verifier) { _ in } }
    }

    @Test func aKeyOutsideTheCommitteeIsRefused() {
        #expect(throws: HandshakeError.self) { try pair(allow: { _ in false }) }
    }

    @Test func malformedHellosAreRefused() {
        var responder = Handshake(role: .responder, chainID: chain, signer: b)
        #expect(throws: HandshakeError.self) { try responder.receiveHello([1, 2, 3]) }
        var hello = Handshake(role: .initiator, chainID: chain, signer: a).hello
        hello[0] = 7
        #expect(throws: HandshakeError.versionMismatch(ours: 1, theirs: 7)) { try responder.receiveHello(hello) }
    }
}
