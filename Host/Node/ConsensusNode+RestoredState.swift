import BatonCrypto
import Consensus
import PluginHost

/// The last step of a state sync or an offline import (issue 31, item 3):
/// before a node restored from a snapshot votes or serves, its application
/// recomputes the state hash from the restored keys (ABI 1.7
/// `state_hash_from_store`) and it must equal the hash the chain certified
/// at the snapshot's height (AA-2: the head record, proven with the
/// snapshot). A plugin that cannot recompute it is trusted on the chunk
/// hashes (vouched for by more than a third of the weight at sync time, or
/// the operator's own export), and the node says so.
extension ConsensusNode {
    /// How the restored state was accepted, for `/v1/status`; nil when this
    /// node was not restored from a snapshot since it started.
    public enum RestoredStateCheck: String, Sendable {
        /// The app recomputed the certified hash from the restored keys.
        case recomputed
        /// The app cannot recompute it: the snapshot's chunk hashes were trusted.
        case chunkHashesOnly = "chunk-hashes-only"
    }

    /// Runs the check if the store holds an unchecked restore; false when the
    /// node stopped instead (a mismatch, or an app that failed the call).
    func checkRestoredState() -> Bool {
        let height: Height?
        do { height = try store.restoredHeightToCheck() } catch {
            stop("cannot read the store's restore mark: \(error)")
            return false
        }
        guard let height else { return true }
        let certified = status.stateHash
        let plugin = app.info.name
        // The app in force at the snapshot's height wrote its state; an
        // upgrade switching exactly above it runs a migration first.
        if upgrades.plan(at: height) != upgrades.plan(at: height + 1) {
            logger.warning("the restored state was not recomputed: an upgrade switches applications at the next height",
                           metadata: ["height": "\(height)"])
            return accept(height, .chunkHashesOnly)
        }
        let started = clock.nowMs()
        let recomputed: StateHash?
        do { recomputed = try app.stateHashFromStore() } catch {
            stop("the restored state of height \(height) could not be checked: the plugin \(plugin) failed state_hash_from_store (\(error)). The node will not vote on a state it cannot prove; fix the plugin, or move the data directory aside and sync again")
            return false
        }
        guard let recomputed else {
            logger.notice("the restored state is trusted on the snapshot's chunk hashes: the plugin cannot recompute its state hash (no state_hash_from_store)",
                          metadata: ["height": "\(height)", "plugin": "\(plugin)", "certified": "\(certified.short)"])
            return accept(height, .chunkHashesOnly)
        }
        guard recomputed.bytes == certified.bytes else {
            stop("the restored state of height \(height) hashes to \(recomputed.hex) by the plugin \(plugin)'s state_hash_from_store, but the chain certified \(certified.hex) there: the node will not vote on or serve it. Move the data directory aside and sync again from other peers; if it happens again, the plugin's state_hash_from_store disagrees with its commit_block")
            return false
        }
        logger.notice("the restored state is the certified one: the plugin recomputed its hash from the restored keys",
                      metadata: ["height": "\(height)", "plugin": "\(plugin)", "stateHash": "\(certified.short)",
                                 "ms": "\(clock.nowMs() - started)"])
        return accept(height, .recomputed)
    }

    private func accept(_ height: Height, _ check: RestoredStateCheck) -> Bool {
        do { try store.restoredStateChecked() } catch {
            stop("cannot clear the store's restore mark: \(error)")
            return false
        }
        restoredState = (height, check)
        servesApp.withLock { $0 = true }
        return true
    }
}
