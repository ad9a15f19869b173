import BatonCrypto
import Foundation
import ProofOfWorkChain
import ServiceLifecycle

/// Mines on the node's best tip at a fixed hash rate (hashes per second), so
/// an experiment can give an attacker several times the honest power on one
/// machine. Works in 10 ms slices and takes a fresh template every slice.
struct Miner: Service {
    let node: ChainNode
    let id: UInt16
    let hashrate: Int

    func run() async throws {
        let perSlice = max(1, hashrate / 100)
        // Stopping is the normal end of mining, not a failure of the group.
        try? await cancelWhenGracefulShutdown {
            var nonce = UInt64.random(in: 0 ... .max / 2)
            while !Task.isCancelled {
                let template = await node.template(miner: id, nowMs: ChainNode.nowMs())
                var header = template.header
                for _ in 0..<perSlice {
                    header.nonce = nonce
                    nonce &+= 1
                    if ChainBlock.meets(header.hash, bits: header.difficultyBits) {
                        await node.receive(ChainBlock(header: header, certificate: template.certificate,
                                                      transactions: template.transactions), from: nil)
                        break
                    }
                }
                try await Task.sleep(for: .milliseconds(10))
            }
        }
    }
}

/// A majority-hash-power attacker: once the public chain reaches `forkAt`, it
/// mines a private branch from the block at that height, ignoring every
/// checkpoint after it, and publishes the whole branch once the public chain
/// reaches `publishAt` and the branch is longer; then keeps extending it in
/// public. Against a chain without checkpoints this reorganises it; against
/// a checkpointed chain, honest nodes refuse the branch.
struct Attacker: Service {
    let node: ChainNode
    let id: UInt16
    let hashrate: Int
    let forkAt: UInt64
    let publishAt: UInt64

    func run() async throws {
        try? await cancelWhenGracefulShutdown {
            while await node.state.height < forkAt { try await Task.sleep(for: .milliseconds(100)) }
            guard let base = await node.bestBlock(at: forkAt) else { return }
            await node.logger.info("attacker: mining a private branch", metadata: ["from": "\(forkAt)", "base": "\(base.hash.short)"])
            var branch: [ChainBlock] = []
            var published = 0
            let perSlice = max(1, hashrate / 100)
            var nonce = UInt64.random(in: 0 ... .max / 2)
            let bits = await node.state.difficultyBits
            while !Task.isCancelled {
                let parent = branch.last ?? base
                let transactions = [Array("attacker \(id) at \(ChainNode.nowMs())".utf8)]
                var header = ChainBlock.Header(
                    parent: parent.hash, height: parent.height + 1, timestampMs: max(ChainNode.nowMs(), parent.header.timestampMs),
                    difficultyBits: bits,
                    nonce: 0, checkpointHeight: parent.header.checkpointHeight, checkpointHash: parent.header.checkpointHash,
                    certificateHash: .zero, txRoot: ChainBlock.merkleRoot(transactions), miner: id)
                for _ in 0..<perSlice {
                    header.nonce = nonce
                    nonce &+= 1
                    if ChainBlock.meets(header.hash, bits: header.difficultyBits) {
                        branch.append(ChainBlock(header: header, certificate: [], transactions: transactions))
                        break
                    }
                }
                let publicHeight = await node.state.height
                if let top = branch.last, top.height > publicHeight, publicHeight >= publishAt || published > 0,
                   published < branch.count {
                    let fresh = Array(branch[published...])
                    // Network I/O stays off this service's task: a request
                    // cancelled at shutdown must not hold the process up.
                    node.gossip.publish(fresh)
                    if published == 0 {
                        await node.logger.warning("attacker: published the private branch", metadata: [
                            "blocks": "\(fresh.count)", "from": "\(forkAt + 1)", "to": "\(top.height)", "public": "\(publicHeight)"])
                    }
                    published = branch.count
                    await node.noteAttack(privateHeight: top.height, published: published)
                } else if let top = branch.last {
                    await node.noteAttack(privateHeight: top.height, published: published)
                }
                try await Task.sleep(for: .milliseconds(10))
            }
        }
    }
}
