import BatonAPI
import BatonCrypto
import Hummingbird
import Node

extension HTTPAPI {
    /// The chain's governance as this node has committed it: upgrades and committee changes.
    static func addGovernanceRoutes(to router: Router<BasicRequestContext>, node: ConsensusNode) {
        router.get("/v1/upgrade") { _, _ -> Response in
            let upgrades = await node.upgrades
            let height = await node.status.finalizedHeight
            let plugin = await node.plugin
            return json(.ok, UpgradeJSON.status(upgrades, height: height, running: plugin, node: await node.upgradeReadiness))
        }
        router.get("/v1/committee/changes") { _, _ -> Response in
            // Every switch record, oldest first: self-verifying from the genesis
            // committee (each under the committee before it), so a verifier
            // need not trust the node that serves them.
            let records = await node.epochRecords
            return json(.ok, CommitteeChangeRecords(changes: records.map { Hex.encode($0.change.encoded) }))
        }
        router.get("/v1/committee") { _, _ -> Response in
            return json(.ok, CommitteeJSON.status(await node.committeeSnapshot))
        }
    }
}
