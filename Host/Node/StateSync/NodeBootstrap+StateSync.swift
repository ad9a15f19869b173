import BatonCrypto
import Logging
import Storage

extension NodeBootstrap {
    /// Before a node with an empty store runs: restores its peers' newest
    /// snapshot when `[storage] state_sync = true` (see `NodeConfig.Storage`),
    /// over the node's own listener and key, then lets it go. Returns what
    /// the sync did, or nil when none ran (a store with blocks, `state_sync =
    /// false`, or peers that still hold the whole chain).
    ///
    /// A sync cut short (kill -9) resumes at the next start: the store's
    /// restore marker names the snapshot, and its verified chunks are kept.
    ///
    /// `onStart` runs once the sync is sure to run (the store is empty), with
    /// the sync's `StateSyncWatch`: `baton node` serves its status there
    /// until the node's own API starts.
    ///
    /// `force`: sync whatever `state_sync` says (the node stopped because its
    /// peers pruned the blocks it needs: `ConsensusNode.needsStateSync`).
    public static func syncState(config: NodeConfig, logger: Logger, force: Bool = false,
                                 onStart: @escaping @Sendable (StateSyncWatch) async -> Void = { _ in },
                                 onProgress: @escaping @Sendable (StateSync.Progress) -> Void = { _ in })
        async throws(BootstrapError) -> StateSync.Outcome?
    {
        // Absent is off: the sync phase costs a fresh node a second or two of
        // asking before it starts, which a new federation's members need not pay.
        guard force || config.storage?.state_sync == true else { return nil }
        let checked = try check(config)
        let dataDir = config.resolve(config.data_dir)
        _ = try DataDirectory.prepare(dataDir)
        let store: NodeStore
        do {
            store = try NodeStore(directory: dataDir, genesis: checked.genesis, create: true, owner: checked.key.publicKey)
        } catch {
            throw BootstrapError(.store(dataDir, "\(error)"))
        }
        defer { store.close() }
        let empty: Bool
        do { empty = try store.finalizedHead().height == 0 || store.unfinishedRestore() != nil } catch {
            throw BootstrapError(.store(dataDir, "\(error)"))
        }
        guard empty else { return nil }
        let watch = StateSyncWatch()
        await onStart(watch)
        let inputs = InputQueue()
        let transport = tcpTransport(checked, inputs: inputs, logger: logger)
        do { try await transport.start() } catch {
            throw BootstrapError(.storage("state sync: cannot listen on \(checked.listen): \(error)"))
        }
        var options = StateSync.Options()
        options.offerWaitMs = 60_000
        logger.notice("state sync: asking the peers for their newest snapshot",
                      metadata: ["why": "\(force ? "the peers pruned this node's first blocks" : "state_sync = true")"])
        let sync = StateSync(store: store, genesis: checked.committee, genesisID: checked.genesis.id, transport: transport,
                             inputs: inputs, verifier: Secp256k1Verifier(), logger: logger, options: options, watch: watch,
                             onProgress: onProgress)
        let outcome: StateSync.Outcome
        do { outcome = try await sync.run() } catch {
            await transport.shutdown()
            throw BootstrapError(.storage("\(error)"))
        }
        await transport.shutdown()
        if case .nothingOffered(let refusals) = outcome {
            throw BootstrapError(.storage("state sync: no snapshot vouched for by more than a third of the weight was offered in \(options.offerWaitMs / 1_000) s"
                + (refusals.isEmpty ? " (set [storage] snapshot_interval on the members, alike)" : "; refused: \(refusals.suffix(3).joined(separator: "; "))")))
        }
        return outcome
    }
}
