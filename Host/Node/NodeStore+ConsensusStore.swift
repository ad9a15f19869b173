import Consensus
import Storage

/// RocksDB is the node's store.
extension NodeStore: ConsensusStore {
    public func restoredHeightToCheck() throws -> Height? { try restoredStateToCheck()?.height }
    public func restoredStateChecked() throws { try stateChecked() }
    public func recoverState() throws -> RecoveredState {
        let recovered = try recover()
        return RecoveredState(recovery: recovered.recovery, committedHeight: recovered.head.height,
                              committedStateHash: recovered.head.stateHash)
    }
}
