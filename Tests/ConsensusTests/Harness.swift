import BatonCrypto
@testable import Consensus
import Synchronization
import Testing

/// A signer that is fast and obviously fake: r = digest, s = SHA-256(public key).
struct FakeSigner: MessageSigner {
    let publicKey: PublicKey
    func sign(_ digest: Bytes32) -> Signature { Signature(r: digest, s: SHA256Digest.hash(publicKey.compressed)) }
}

/// Checks FakeSigner's signatures and counts every call.
final class CountingVerifier: SignatureVerifier {
    let calls = Atomic<Int>(0)
    let real: Bool
    init(real: Bool = false) { self.real = real }

    func verify(_ signature: Signature, digest: Bytes32, publicKey: PublicKey) -> Bool {
        calls.add(1, ordering: .relaxed)
        if real { return Secp256k1Verifier().verify(signature, digest: digest, publicKey: publicKey) }
        return signature.r == digest && signature.s == SHA256Digest.hash(publicKey.compressed)
    }

    var count: Int { calls.load(ordering: .relaxed) }
}

/// A committee of `n` members with fresh keys.
struct TestCommittee {
    let keys: [PrivateKey]
    let committee: Committee
    let genesis: Block
    let realCrypto: Bool

    init(n: Int = 4, weights: [UInt64]? = nil, realCrypto: Bool = false) {
        keys = (0..<n).map { _ in PrivateKey.generate() }
        let weights = weights ?? [UInt64](repeating: 1, count: n)
        let chainID = SHA256Digest.hash(Array("test-chain".utf8))
        committee = try! Committee(chainID: chainID,
                                   members: zip(keys, weights).map { Committee.Member(publicKey: $0.publicKey, weight: $1) },
                                   leaderSeed: SHA256Digest.hash(Array("seed".utf8)))
        genesis = Block.genesis(chainID: chainID, timestampMs: 0)
        self.realCrypto = realCrypto
    }

    func signer(_ i: Int) -> any MessageSigner {
        realCrypto ? Secp256k1Signer(keys[i]) : FakeSigner(publicKey: keys[i].publicKey)
    }

    var genesisQC: QuorumCertificate { .genesis(genesis.id) }

    func vote(_ i: Int, view: View, block: BlockID) -> Vote {
        let digest = SigningDomain.voteDigest(chainID: committee.chainID, view: view, blockID: block)
        return Vote(view: view, blockID: block, signer: ValidatorIndex(i), signature: signer(i).sign(digest))
    }

    func qc(view: View, block: BlockID, signers: [Int]? = nil) -> QuorumCertificate {
        let who = signers ?? Array(0..<keys.count)
        let set = SignerSet(capacity: keys.count, members: who.map { ValidatorIndex($0) })
        return QuorumCertificate(view: view, blockID: block, signers: set,
                                 signatures: set.map { vote(Int($0), view: view, block: block).signature })
    }

    func timeout(_ i: Int, view: View, highQC: QuorumCertificate, tc: TimeoutCertificate? = nil) -> TimeoutObject {
        let digest = SigningDomain.timeoutDigest(chainID: committee.chainID, view: view, highQCView: highQC.view)
        return TimeoutObject(view: view, highQC: highQC, lastViewTC: tc, signer: ValidatorIndex(i),
                             signature: signer(i).sign(digest))
    }

    func tc(view: View, highQC: QuorumCertificate, signers: [Int]? = nil) -> TimeoutCertificate {
        let who = signers ?? Array(0..<keys.count)
        let set = SignerSet(capacity: keys.count, members: who.map { ValidatorIndex($0) })
        let sigs = set.map { timeout(Int($0), view: view, highQC: highQC).signature }
        return TimeoutCertificate(view: view, highQC: highQC, signers: set,
                                  highQCViews: set.map { _ in highQC.view }, signatures: sigs)
    }

    func block(view: View, height: Height, parent: Block, qc: QuorumCertificate? = nil, tc: TimeoutCertificate? = nil,
               proposer: ValidatorIndex? = nil, payload: [UInt8] = []) -> Block {
        Block(view: view, height: height, parentID: parent.id, qc: qc ?? self.qc(view: parent.view, block: parent.id),
              lastViewTC: tc, proposer: proposer ?? committee.leader(of: view), timestampMs: view, executedHeight: 0,
              executedStateHash: .zero, payload: payload)
    }

    func proposal(_ block: Block) -> Proposal {
        Proposal(block: block, signature: vote(Int(block.proposer), view: block.view, block: block.id).signature)
    }

    func validator(_ verifier: CountingVerifier = CountingVerifier()) -> Validator {
        Validator(committee: committee, genesisID: genesis.id, verifier: verifier)
    }
}

/// Deterministic scripted network of cores: messages arrive in FIFO order
/// with no delay; when nothing is in flight, time jumps to the next timer.
/// The app answers at once (payload = the view as text; everything valid).
struct Cluster {
    let setup: TestCommittee
    var nodes: [EventHandler]
    var now: UInt64 = 1_000
    var queue: [(to: Int, event: Event)] = []
    var timers: [(at: UInt64, node: Int, timer: Timer)] = []
    /// Nodes that neither send nor receive (crashed or partitioned).
    var isolated: Set<Int> = []
    /// Drop messages matching this (for loss scenarios).
    var drop: (Message) -> Bool = { _ in false }
    var finalized: [[Block]]
    var persisted: [[SafetyData]]
    var evidence: [Evidence] = []
    var faults: [String] = []
    var allEffects: [[Effect]] = []
    var followers: [EventHandler] = []
    /// Every block each node ever stored (what its shell would answer block sync from).
    var stores: [[BlockID: Block]]
    var followerFinalized: [[Block]] = []

    init(_ setup: TestCommittee, config: ConsensusConfig = ConsensusConfig(), followers: Int = 0) {
        self.setup = setup
        let verifier = CountingVerifier(real: setup.realCrypto)
        nodes = (0..<setup.keys.count).map {
            EventHandler(committee: setup.committee, genesis: setup.genesis, signer: setup.signer($0),
                         verifier: verifier, config: config)
        }
        for _ in 0..<followers {
            self.followers.append(EventHandler(committee: setup.committee, genesis: setup.genesis,
                                               signer: FakeSigner(publicKey: PrivateKey.generate().publicKey),
                                               verifier: verifier, config: config))
        }
        finalized = Array(repeating: [], count: nodes.count)
        followerFinalized = Array(repeating: [], count: followers)
        persisted = Array(repeating: [], count: nodes.count)
        stores = Array(repeating: [setup.genesis.id: setup.genesis], count: nodes.count)
    }

    mutating func start() {
        for i in nodes.indices { apply(nodes[i].handle(.start(nowMs: now)), from: i) }
    }

    /// Runs until `condition` holds or `stepsMax` events were handled.
    mutating func run(stepsMax: Int = 100_000, until condition: (Cluster) -> Bool) {
        var steps = 0
        while !condition(self), steps < stepsMax {
            steps += 1
            if queue.isEmpty {
                guard let next = timers.indices.min(by: { timers[$0].at < timers[$1].at }) else { return }
                let timer = timers.remove(at: next)
                now = max(now, timer.at)
                if isolated.contains(timer.node) { continue }
                apply(nodes[timer.node].handle(.timerFired(timer.timer, nowMs: now)), from: timer.node)
                continue
            }
            let (to, event) = queue.removeFirst()
            if to >= nodes.count {
                let f = to - nodes.count
                let effects = followers[f].handle(event)
                for case .finalized(let fin) in effects { followerFinalized[f] += fin.blocks }
                continue
            }
            if isolated.contains(to) { continue }
            apply(nodes[to].handle(event), from: to)
        }
    }

    func finalizedHeight(_ i: Int) -> Height { finalized[i].last?.height ?? 0 }

    mutating func apply(_ effects: [Effect], from i: Int) {
        allEffects.append(effects)
        for effect in effects {
            switch effect {
            case .persistSafetyData(let data): persisted[i].append(data)
            case .broadcast(let message):
                guard !isolated.contains(i), !drop(message) else { continue }
                for j in nodes.indices where j != i { queue.append((j, event(message))) }
                if case .proposal = message { for f in followers.indices { queue.append((nodes.count + f, event(message))) } }
            case .send(let message, let j):
                guard !isolated.contains(i), !drop(message) else { continue }
                queue.append((Int(j), event(message)))
            case .scheduleTimer(let timer, let at): timers.append((at, i, timer))
            case .produceBlock(let context):
                queue.append((i, .payloadProduced(view: context.view, payload: Array("v\(context.view)".utf8), nowMs: now)))
            case .validateBlock(let block, _):
                queue.append((i, .payloadValidated(blockID: block.id, valid: true, nowMs: now)))
            case .finalized(let finalization): finalized[i] += finalization.blocks
            case .fetchBlock(let id, let peer):
                // The peer answers from its store, with up to 16 ancestors, if reachable.
                let p = Int(peer)
                guard !isolated.contains(p), var block = stores[p][id] else { continue }
                var answer = [block]
                while answer.count < 17, let parent = stores[p][block.parentID], parent.view > 0 {
                    answer.append(parent)
                    block = parent
                }
                queue.append((i, .blocksFetched(answer.reversed(), nowMs: now)))
            case .persistBlock(let block): stores[i][block.id] = block
            case .evidence(let proof): evidence.append(proof)
            case .safetyFault(let fault): faults.append(fault)
            case .persistLiveness, .enteredView, .dropped: break
            }
        }
    }

    func event(_ message: Message) -> Event {
        switch message {
        case .proposal(let p): .proposal(p, nowMs: now)
        case .vote(let v): .vote(v, nowMs: now)
        case .timeout(let t): .timeout(t, nowMs: now)
        default: .mempoolChanged(nonEmpty: false, nowMs: now)
        }
    }

    /// Agreement: every pair of nodes finalized the same block at each height.
    func agree() -> Bool {
        let chains = finalized + followerFinalized
        for a in chains { for b in chains {
            for (x, y) in zip(a, b) where x.id != y.id { return false }
        } }
        return true
    }
}
