import BatonAPI
import BatonCrypto
import Hummingbird
import Node

extension HTTPAPI {
    /// The finalized chain and the evidence of misbehaviour this node saw.
    static func addBlockRoutes(to router: Router<BasicRequestContext>, node: ConsensusNode) {
        router.get("/v1/evidence") { _, _ -> Response in
            let log = await node.evidence
            let chainID = await node.chainID
            return json(.ok, EvidenceListing(total: log.total, kept: log.records.count, capacity: log.capacity,
                                             evidence: log.records.map { $0.report(chainID: chainID) }))
        }
        router.get("/v1/blocks/:height") { _, context -> Response in
            guard let text = context.parameters.get("height"), let height = UInt64(text) else {
                return json(.badRequest, ["error": "height must be a non-negative integer"])
            }
            guard let block = try await node.finalizedBlock(at: height) else {
                let oldest = node.oldestRetainedHeight
                if height > 0, height < oldest {
                    return json(.gone, PrunedBlock(error: "block \(height) was pruned: this node keeps heights from \(oldest) "
                                                       + "([storage] retain_blocks); ask an archive node", oldestRetainedHeight: oldest))
                }
                return json(.notFound, ["error": "no finalized block at height \(height) yet"])
            }
            return json(.ok, FinalizedBlock(
                height: block.height, id: block.id.hex, view: block.view, parentID: block.parentID.hex,
                proposer: Int(block.proposer), timestampMs: block.timestampMs, payloadBytes: block.payload.count,
                payload: Hex.encode(block.payload), transactions: block.includedTransactions.map(\.hex)))
        }
    }
}
