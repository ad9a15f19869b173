import BatonPluginAPI

/// The plugin's seven 1.0 calls, each proven non-NULL at load time, so no call
/// site unwraps a plugin pointer; and the optional calls of later minors.
struct PluginCalls: @unchecked Sendable {
    // @unchecked: C function pointers into a never-unloaded shared object.
    typealias Create = @convention(c) (
        UnsafePointer<baton_plugin>, UnsafePointer<baton_host>, baton_bytes, UnsafePointer<baton_writer>,
        UnsafeMutablePointer<UnsafeMutableRawPointer?>
    ) -> baton_status
    typealias Destroy = @convention(c) (UnsafeMutableRawPointer) -> Void
    typealias CheckTx = @convention(c) (UnsafeMutableRawPointer, baton_bytes, UnsafePointer<baton_writer>) -> baton_status
    typealias Produce = @convention(c) (
        UnsafeMutableRawPointer, UnsafePointer<baton_block_context>, UnsafePointer<baton_bytes>?, Int,
        UnsafeMutablePointer<UInt8>?, UInt64, UnsafePointer<baton_writer>, UnsafePointer<baton_writer>
    ) -> baton_status
    typealias Validate = @convention(c) (
        UnsafeMutableRawPointer, UnsafePointer<baton_block_context>, baton_bytes, UInt64, UnsafePointer<baton_writer>
    ) -> baton_status
    typealias Commit = @convention(c) (
        UnsafeMutableRawPointer, UnsafePointer<baton_block_context>, baton_bytes, UnsafeMutablePointer<UInt8>,
        UnsafePointer<baton_writer>
    ) -> baton_status
    typealias Query = @convention(c) (
        UnsafeMutableRawPointer, baton_bytes, UnsafePointer<baton_writer>, UnsafePointer<baton_writer>
    ) -> baton_status

    let create: Create
    let destroy: Destroy
    let checkTx: CheckTx
    let produceBlock: Produce
    let validateBlock: Validate
    let commitBlock: Commit
    let query: Query
    typealias BlockTransactions = @convention(c) (
        UnsafeMutableRawPointer, baton_bytes, UnsafePointer<baton_writer>, UnsafePointer<baton_writer>
    ) -> baton_status
    /// ABI 1.2, optional: nil for older plugins (their table ends before it;
    /// `readTable` leaves what is not there zero).
    let blockTransactions: BlockTransactions?
    typealias MigrateState = @convention(c) (
        UnsafeMutableRawPointer, UnsafePointer<CChar>, UnsafePointer<CChar>, UnsafePointer<baton_writer>
    ) -> baton_status
    /// ABI 1.4, optional: a live upgrade's state migration.
    let migrateState: MigrateState?
    /// ABI 1.6 `flags`: 0 for older plugins (their table ends before it).
    let flags: UInt64
    typealias StateHashFromStore = @convention(c) (
        UnsafeMutableRawPointer, UnsafeMutablePointer<UInt8>, UnsafePointer<baton_writer>
    ) -> baton_status
    /// ABI 1.7, optional: the state hash recomputed from the store (after a snapshot restore).
    let stateHashFromStore: StateHashFromStore?
    typealias RetainHeight = @convention(c) (UnsafeMutableRawPointer) -> UInt64
    /// ABI 1.7, optional: the lowest height whose block the app wants kept.
    let retainHeight: RetainHeight?

    /// The 1.0 table: everything up to and including `query`. A plugin's
    /// `struct_size` must cover it; later calls are read only if covered too.
    static let requiredBytes = MemoryLayout<baton_plugin>.offset(of: \.block_transactions)!

    /// The table size each minor promises (header: BATON_PLUGIN_SIZE_1_x);
    /// a minor newer than this host's promises at least this host's size.
    static func tableBytes(minor: UInt32) -> Int {
        switch minor {
        case 0, 1: Int(BATON_PLUGIN_SIZE_1_0)
        case 2: Int(BATON_PLUGIN_SIZE_1_2)
        case 3: Int(BATON_PLUGIN_SIZE_1_3)
        case 4, 5: Int(BATON_PLUGIN_SIZE_1_4)
        case 6: Int(BATON_PLUGIN_SIZE_1_6)
        default: Int(BATON_PLUGIN_SIZE_1_7)
        }
    }

    /// Field names and offsets in table order, to name the first call a short
    /// table lacks.
    static let fieldOffsets: [(name: String, offset: Int)] = [
        ("name", MemoryLayout<baton_plugin>.offset(of: \.name)!),
        ("version", MemoryLayout<baton_plugin>.offset(of: \.version)!),
        ("description", MemoryLayout<baton_plugin>.offset(of: \.description)!),
        ("plugin_data", MemoryLayout<baton_plugin>.offset(of: \.plugin_data)!),
        ("create", MemoryLayout<baton_plugin>.offset(of: \.create)!),
        ("destroy", MemoryLayout<baton_plugin>.offset(of: \.destroy)!),
        ("check_tx", MemoryLayout<baton_plugin>.offset(of: \.check_tx)!),
        ("produce_block", MemoryLayout<baton_plugin>.offset(of: \.produce_block)!),
        ("validate_block", MemoryLayout<baton_plugin>.offset(of: \.validate_block)!),
        ("commit_block", MemoryLayout<baton_plugin>.offset(of: \.commit_block)!),
        ("query", MemoryLayout<baton_plugin>.offset(of: \.query)!),
    ]

    init(_ table: baton_plugin, path: String) throws(PluginLoadError) {
        func required<F>(_ function: F?, _ name: String) throws(PluginLoadError) -> F {
            guard let function else { throw PluginLoadError(.missingCall(name), path: path) }
            return function
        }
        create = try required(table.create, "create")
        destroy = try required(table.destroy, "destroy")
        checkTx = try required(table.check_tx, "check_tx")
        produceBlock = try required(table.produce_block, "produce_block")
        validateBlock = try required(table.validate_block, "validate_block")
        commitBlock = try required(table.commit_block, "commit_block")
        query = try required(table.query, "query")
        blockTransactions = table.block_transactions
        migrateState = table.migrate_state
        flags = table.flags
        stateHashFromStore = table.state_hash_from_store
        retainHeight = table.retain_height
    }
}
