import BatonCrypto
import Checkpointing
import Consensus
import Foundation
import Logging
import ProofOfWorkChain

/// One node of the proof-of-work chain: its chain state and store, its peers,
/// and the federation's committee (from the Baton genesis) against which it
/// verifies every checkpoint certificate — from its interpreter or inside a
/// block. Serial by being an actor; network I/O runs outside it.
actor ChainNode {
    struct Status: Sendable {
        let height: UInt64
        let tip: Bytes32
        let work: Double
        let latestCheckpoint: Checkpoint?
        let checkpoints: Int
        let reorgs: Int
        let deepestReorg: Int
        let refusedBlocks: Int
        let orphans: Int
        let federation: Bool
    }

    private(set) var state: ChainState
    private let store: ChainStore
    let committee: Committee?
    let gossip: Gossip
    let logger: Logger
    /// Bumped whenever the tip moves, so miners know to rebuild their template.
    private(set) var tipVersion = 0
    /// When the best chain first reached each height, and when each checkpoint
    /// became known here (ms since the epoch): the certificate latency figure.
    /// The newest 4,096 of each are kept.
    private(set) var reachedMs: [UInt64: UInt64] = [:]
    private(set) var certifiedMs: [UInt64: UInt64] = [:]

    private func noteProgress(from oldHeight: UInt64) {
        let now = Self.nowMs()
        if state.height > oldHeight {
            for height in (oldHeight + 1)...state.height where reachedMs[height] == nil { reachedMs[height] = now }
        }
        for height in state.checkpoints.keys where certifiedMs[height] == nil { certifiedMs[height] = now }
        reachedMs = Self.newest(reachedMs)
        certifiedMs = Self.newest(certifiedMs)
    }

    private static func newest(_ table: [UInt64: UInt64], keep: Int = 4_096) -> [UInt64: UInt64] {
        guard table.count > keep, let floor = table.keys.sorted().dropLast(keep).last else { return table }
        return table.filter { $0.key > floor }
    }

    static func nowMs() -> UInt64 { UInt64(Date().timeIntervalSince1970 * 1_000) }

    init(name: String, difficultyBits: UInt8, dataDir: String, committee: Committee?, gossip: Gossip, logger: Logger) throws {
        state = ChainState(genesis: ChainBlock.genesis(name: name), difficultyBits: difficultyBits)
        store = try ChainStore(directory: dataDir)
        self.committee = committee
        self.gossip = gossip
        self.logger = logger
        let (blocks, certificates) = try store.load()
        let verify = Self.verifier(committee)
        for block in blocks { _ = state.add(block, verify: verify) }
        for certificate in certificates {
            if let committee, let verified = try? CheckpointCertificate.verify(certificate, committee: committee, verifier: Secp256k1Verifier()) {
                _ = state.addCheckpoint(verified.checkpoint, certificate: certificate)
            }
        }
        let height = state.height, latest = state.latestCheckpoint
        logger.info("chain loaded", metadata: ["blocks": "\(blocks.count)", "height": "\(height)",
                                               "checkpoint": "\(latest.map { "\($0.height)" } ?? "none")"])
    }

    static func verifier(_ committee: Committee?) -> (ChainBlock) throws(CheckpointCertificateError) -> Checkpoint {
        { block throws(CheckpointCertificateError) in
            guard let committee else { throw .malformed("this chain node has no federation (start it with --genesis)") }
            return try CheckpointCertificate.verify(block.certificate, committee: committee, verifier: Secp256k1Verifier()).checkpoint
        }
    }

    var status: Status {
        Status(height: state.height, tip: state.tip, work: state.work, latestCheckpoint: state.latestCheckpoint,
               checkpoints: state.checkpoints.count, reorgs: state.reorgs, deepestReorg: state.deepestReorg,
               refusedBlocks: state.refusedBlocks, orphans: state.orphansHeld, federation: committee != nil)
    }

    /// A block from a peer (`from` is its address for fetching missing
    /// parents) or from our own miner (nil). Accepted blocks are saved and
    /// gossiped on.
    @discardableResult
    func receive(_ block: ChainBlock, from peer: String?) -> ChainState.AddOutcome {
        let oldTip = state.tip, oldHeight = state.height
        let outcome = state.add(block, verify: Self.verifier(committee))
        defer { noteProgress(from: oldHeight) }
        switch outcome {
        case .added(let added, _):
            // The block and any orphans it unblocked, parents first.
            for b in added {
                do { try store.save(b) } catch { logger.error("cannot save block: \(error)") }
                gossip.broadcast(b, except: peer)
            }
            if state.tip != oldTip {
                tipVersion += 1
                if state.block(oldTip).map({ state.ancestor(of: state.tip, at: $0.height) != oldTip }) ?? false {
                    logger.warning("reorganisation", metadata: ["from": "\(oldTip.short)", "to": "\(state.tip.short)",
                                                                "height": "\(state.height)"])
                }
            }
        case .orphan(let missing):
            if let peer { gossip.fetch(missing, from: peer, into: self) }
        case .refused(let reason):
            logger.warning("refused block", metadata: ["height": "\(block.height)", "hash": "\(block.hash.short)", "reason": "\(reason)"])
        case .duplicate:
            break
        }
        return outcome
    }

    /// A certificate from this node's interpreter: verified, stored, carried
    /// by the next block this node mines.
    func submit(certificate: [UInt8]) -> Result<CheckpointCertificate.Verified, SubmitRefusal> {
        guard let committee else { return .failure(SubmitRefusal(reason: "this chain node has no federation (start it with --genesis)")) }
        let verified: CheckpointCertificate.Verified
        do { verified = try CheckpointCertificate.verify(certificate, committee: committee, verifier: Secp256k1Verifier()) } catch {
            return .failure(SubmitRefusal(reason: "\(error)"))
        }
        let oldTip = state.tip, oldHeight = state.height
        defer { noteProgress(from: oldHeight) }
        switch state.addCheckpoint(verified.checkpoint, certificate: certificate) {
        case .failure(let refusal): return .failure(SubmitRefusal(reason: "\(refusal)"))
        case .success:
            do { try store.save(certificate: certificate, for: verified.checkpoint) } catch {
                return .failure(SubmitRefusal(reason: "\(error)"))
            }
            if state.tip != oldTip { tipVersion += 1 }
            if state.block(verified.checkpoint.hash) == nil {
                // Certified but not here yet: ask the peers for it.
                for peer in gossip.peers { gossip.fetch(verified.checkpoint.hash, from: peer, into: self) }
            }
            logger.info("checkpoint certified", metadata: ["height": "\(verified.checkpoint.height)",
                                                          "hash": "\(verified.checkpoint.hash.short)"])
            return .success(verified)
        }
    }

    /// What a miner builds on: the best tip, carrying the newest certified
    /// checkpoint it does not carry yet.
    func template(miner: UInt16, nowMs: UInt64) -> (header: ChainBlock.Header, certificate: [UInt8], transactions: [[UInt8]], version: Int) {
        let parent = state.tipBlock
        let carry = state.certificateToCarry
        let transactions = [Array("mined by \(miner) at \(nowMs)".utf8)]
        let header = ChainBlock.Header(
            parent: parent.hash, height: parent.height + 1, timestampMs: max(nowMs, parent.header.timestampMs),
            difficultyBits: state.difficultyBits, nonce: 0,
            checkpointHeight: carry?.0.height ?? parent.header.checkpointHeight,
            checkpointHash: carry?.0.hash ?? parent.header.checkpointHash,
            certificateHash: ChainBlock.certificateHash(carry?.1 ?? []), txRoot: ChainBlock.merkleRoot(transactions), miner: miner)
        return (header, carry?.1 ?? [], transactions, tipVersion)
    }

    /// Closes the store; blocks arriving later are still judged but not saved.
    func close() { store.close() }

    func block(_ hash: Bytes32) -> ChainBlock? { state.block(hash) }
    func bestBlock(at height: UInt64) -> ChainBlock? { state.bestBlock(at: height) }
    func tipBlock() -> ChainBlock { state.tipBlock }

    /// An attacker's progress, for its status (nil on honest nodes).
    private(set) var attack: (privateHeight: UInt64, published: Int)?
    func noteAttack(privateHeight: UInt64, published: Int) { attack = (privateHeight, published) }

    /// Asks every peer for its tip, so a node that was down catches up.
    func catchUp() {
        for peer in gossip.peers { gossip.fetchTip(from: peer, into: self) }
    }
}

/// Why a certificate from the interpreter was not taken.
struct SubmitRefusal: Error, CustomStringConvertible {
    let reason: String
    var description: String { reason }
}
