import BatonCrypto
import Consensus

/// A node whose next block its peers no longer keep (they prune, `[storage]
/// retain_blocks`) cannot catch up by block sync: a member started on an
/// empty store without `state_sync = true`, or one down longer than the
/// peers' window. Block sync then finds nothing and the node would wait in
/// silence; instead it asks the peers where their blocks start (the state
/// sync's offer request, which every node answers) and, with an empty
/// store, stops to sync (`baton node` then restores and starts it again);
/// with blocks, which a snapshot cannot restore into, it says what to do.
///
/// Bound: one broadcast per `probeIntervalMs`, only while the node finalized
/// nothing yet or nothing for `stalledMs`; one line once.
extension ConsensusNode {
    static let probeIntervalMs: UInt64 = 10_000
    static let stalledMs: UInt64 = 30_000

    /// From `refreshPeers` (every couple of seconds under `baton node`).
    func probePeersWindow(now: UInt64) {
        guard cannotCatchUp == nil, !transport.connectedPeers.isEmpty, now >= lastWindowProbeMs + Self.probeIntervalMs,
              status.finalizedHeight == 0 || now >= lastCommitMs + Self.stalledMs else { return }
        lastWindowProbeMs = now
        transport.broadcast(.stateSync(.offerRequest(requestID: 0, height: 0)))
    }

    /// A peer's offer says where its blocks start; past this node's next
    /// height it cannot serve it. Members holding more than a third of the
    /// weight saying so (at least one honest) decide: an empty store, with
    /// `state_sync` absent, stops the node to sync; else it says what to do.
    func notePeerWindow(oldestBlock: Height, from peer: PublicKey) {
        guard cannotCatchUp == nil, !needsStateSync, oldestBlock > status.finalizedHeight + 1,
              committee.index(of: peer) != nil else { return }
        prunedPeers.insert(peer)
        let weight = prunedPeers.compactMap { committee.index(of: $0) }.reduce(UInt64(0)) { $0 + committee.weight(of: $1) }
        guard weight * 3 > committee.totalWeight else { return }
        if status.finalizedHeight == 0, syncsWhenPeersPruned {
            needsStateSync = true
            stop("its peers keep blocks from \(oldestBlock) only and this node's store is empty: it restores their newest snapshot (state sync) and starts again",
                 level: .notice)
            return
        }
        let why = "this node's next block is \(status.finalizedHeight + 1), and its peers keep blocks from \(oldestBlock) only ([storage] retain_blocks): it cannot catch up by block sync. Stop it, move its data directory aside and start it with [storage] state_sync = true (or import a snapshot: baton snapshot import)"
        cannotCatchUp = why
        logger.error("CANNOT CATCH UP: \(why)", metadata: ["peer": "\(peer)"])
    }
}
