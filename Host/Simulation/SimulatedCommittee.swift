import BatonCrypto
import Consensus

/// A committee of `n` members with fresh keys, its genesis block, and each
/// member's signer (real secp256k1 or `FakeSigner`).
public struct SimulatedCommittee: Sendable {
    public let keys: [PrivateKey]
    public let committee: Committee
    public let genesis: Block
    public let realCrypto: Bool

    /// With a `seed`, the keys are derived from it (reproducible runs);
    /// without, they come from the OS's secure random source. `spares` more
    /// keys follow the members' (for nodes that join, and rotated keys); the
    /// members' keys are the same with or without them.
    public init(n: Int = 4, weights: [UInt64]? = nil, realCrypto: Bool = false, seed: UInt64? = nil, spares: Int = 0) {
        if let seed {
            var rng = SeededRandom(seed: seed)
            keys = (0..<(n + spares)).map { _ in
                while true {
                    let bytes = (0..<32).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
                    if let key = PrivateKey(bytes: bytes) { return key }
                }
            }
        } else {
            keys = (0..<(n + spares)).map { _ in PrivateKey.generate() }
        }
        let weights = weights ?? [UInt64](repeating: 1, count: n)
        let chainID = SHA256Digest.hash(Array("test-chain".utf8))
        committee = try! Committee(chainID: chainID,
                                   members: zip(keys.prefix(n), weights).map { Committee.Member(publicKey: $0.publicKey, weight: $1) },
                                   leaderSeed: SHA256Digest.hash(Array("seed-\(seed ?? 0)".utf8)))
        genesis = Block.genesis(chainID: chainID, timestampMs: 0)
        self.realCrypto = realCrypto
    }

    init(keys: [PrivateKey], committee: Committee, genesis: Block, realCrypto: Bool) {
        self.keys = keys
        self.committee = committee
        self.genesis = genesis
        self.realCrypto = realCrypto
    }

    public func signer(_ i: Int) -> any MessageSigner {
        realCrypto ? Secp256k1Signer(keys[i]) : FakeSigner(publicKey: keys[i].publicKey)
    }

    public func verifier() -> CountingVerifier { CountingVerifier(real: realCrypto) }

    public var genesisQC: QuorumCertificate { .genesis(genesis.id) }
}
