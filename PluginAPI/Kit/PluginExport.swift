import BatonPluginAPI

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Builds the C descriptor for a `BatonApplication` type, once.
///
/// A Swift plugin exports itself in a few lines:
///
/// ```swift
/// private let export = PluginExport(MyApp.self, name: "my-app", version: "1.0.0",
///                                   description: "What it replicates")
/// @_cdecl("baton_plugin_entry")
/// public func batonPluginEntry() -> UnsafeRawPointer { export.entry }
/// ```
///
/// The descriptor and its strings are allocated once and never freed: the
/// host keeps plugins loaded for the life of the process (RTLD_NODELETE).
public final class PluginExport: @unchecked Sendable {
    // @unchecked: immutable after init; the descriptor is never written again.
    private let descriptor: UnsafeMutablePointer<baton_plugin>

    /// `functions`: the typed functions to export (ABI 1.3), each an
    /// `@_cdecl` function of the plugin declared with its signature.
    public init<App: BatonApplication>(_ type: App.Type, name: String, version: String, description: String,
                                       functions: [BatonFunction] = []) {
        let factory = Factory { config, host in try App(config: config, host: host) }
        let table = UnsafeMutablePointer<UnsafePointer<baton_function>?>.allocate(capacity: max(functions.count, 1))
        for (index, function) in functions.enumerated() {
            let declaration = UnsafeMutablePointer<baton_function>.allocate(capacity: 1)
            declaration.initialize(to: baton_function(
                struct_size: UInt32(MemoryLayout<baton_function>.size), reserved: 0,
                name: UnsafePointer(strdup(function.name)), symbol: UnsafePointer(strdup(function.symbol)),
                signature: UnsafePointer(strdup(function.signature)),
                description: UnsafePointer(strdup(function.description))))
            (table + index).initialize(to: UnsafePointer(declaration))
        }
        descriptor = .allocate(capacity: 1)
        descriptor.initialize(to: baton_plugin(
            struct_size: UInt32(MemoryLayout<baton_plugin>.size),
            abi_major: UInt32(BATON_PLUGIN_ABI_MAJOR),
            abi_minor: UInt32(BATON_PLUGIN_ABI_MINOR),
            reserved: 0,
            name: UnsafePointer(strdup(name)),
            version: UnsafePointer(strdup(version)),
            description: UnsafePointer(strdup(description)),
            plugin_data: Unmanaged.passRetained(factory).toOpaque(),
            create: Thunks.create,
            destroy: { Unmanaged<Instance>.fromOpaque($0).release() },
            check_tx: Thunks.checkTx,
            produce_block: Thunks.produceBlock,
            validate_block: Thunks.validateBlock,
            commit_block: Thunks.commitBlock,
            query: Thunks.query,
            block_transactions: Thunks.blockTransactions,
            functions: functions.isEmpty ? nil : UnsafePointer(table),
            function_count: functions.count,
            migrate_state: App.migratesState ? Thunks.migrateState : nil,
            flags: App.allowsSecondInstance ? UInt64(BATON_PLUGIN_SECOND_INSTANCE) : 0,
            state_hash_from_store: Thunks.stateHashFromStore,
            retain_height: Thunks.retainHeight))
    }

    /// What `baton_plugin_entry` returns.
    public var entry: UnsafeRawPointer { UnsafeRawPointer(descriptor) }
}

final class Factory {
    let make: ([UInt8], BatonHost) throws -> any BatonApplication
    init(make: @escaping ([UInt8], BatonHost) throws -> any BatonApplication) { self.make = make }
}

/// What the host's `void *instance` points at.
final class Instance {
    let app: any BatonApplication
    let host: BatonHost
    init(app: any BatonApplication, host: BatonHost) {
        self.app = app
        self.host = host
    }

    static func from(_ pointer: UnsafeMutableRawPointer) -> Instance {
        Unmanaged<Instance>.fromOpaque(pointer).takeUnretainedValue()
    }
}

/// The C entry points. Each one turns C arguments into Swift values, calls the
/// app, and turns the answer (or a thrown error) into a status and bytes.
enum Thunks {
    static let create: @convention(c) (
        UnsafePointer<baton_plugin>, UnsafePointer<baton_host>, baton_bytes, UnsafePointer<baton_writer>,
        UnsafeMutablePointer<UnsafeMutableRawPointer?>
    ) -> baton_status = { plugin, hostTable, config, error, out in
        // Compatibility policy: the 1.0 size is all the kit needs (the host
        // table has not grown since), so every 1.x host is accepted.
        guard hostTable.pointee.struct_size >= UInt32(BATON_HOST_SIZE_1_0) else {
            write("host table is \(hostTable.pointee.struct_size) bytes, smaller than ABI 1.0's \(BATON_HOST_SIZE_1_0): not a Baton host", to: error)
            return BATON_ERROR
        }
        let factory = Unmanaged<Factory>.fromOpaque(plugin.pointee.plugin_data!).takeUnretainedValue()
        let host = BatonHost(hostTable)
        do {
            let app = try factory.make(Array(config), host)
            out.pointee = Unmanaged.passRetained(Instance(app: app, host: host)).toOpaque()
            return BATON_OK
        } catch let failure {
            write("\(failure)", to: error)
            return BATON_ERROR
        }
    }

    static let checkTx: @convention(c) (UnsafeMutableRawPointer, baton_bytes, UnsafePointer<baton_writer>) -> baton_status = {
        instance, tx, reason in
        do {
            switch try Instance.from(instance).app.checkTransaction(Array(tx)) {
            case .accept: return BATON_OK
            case .reject(let why):
                write(why, to: reason)
                return BATON_REJECT
            }
        } catch {
            write("\(error)", to: reason)
            return BATON_ERROR
        }
    }

    static let produceBlock: @convention(c) (
        UnsafeMutableRawPointer, UnsafePointer<baton_block_context>, UnsafePointer<baton_bytes>?, Int,
        UnsafeMutablePointer<UInt8>?, UInt64, UnsafePointer<baton_writer>, UnsafePointer<baton_writer>
    ) -> baton_status = { instance, context, candidates, count, included, token, payload, error in
        let box = Instance.from(instance)
        let list = (0..<count).map { Array(candidates![$0]) }
        do {
            switch try box.app.produceBlock(BatonBlock(context), candidates: list,
                                            pending: PendingAnswer(host: box.host, token: token)) {
            case .pending: return BATON_PENDING
            case .payload(let bytes, let chosen):
                for index in chosen where index >= 0 && index < count { included?[index] = 1 }
                guard write(bytes, to: payload) else {
                    write("payload of \(bytes.count) bytes is larger than the host accepts", to: error)
                    return BATON_ERROR
                }
                return BATON_OK
            }
        } catch let failure {
            write("\(failure)", to: error)
            return BATON_ERROR
        }
    }

    static let validateBlock: @convention(c) (
        UnsafeMutableRawPointer, UnsafePointer<baton_block_context>, baton_bytes, UInt64, UnsafePointer<baton_writer>
    ) -> baton_status = { instance, context, payload, token, reason in
        let box = Instance.from(instance)
        do {
            switch try box.app.validateBlock(BatonBlock(context), payload: Array(payload),
                                             pending: PendingAnswer(host: box.host, token: token)) {
            case .valid: return BATON_OK
            case .pending: return BATON_PENDING
            case .invalid(let why):
                write(why, to: reason)
                return BATON_REJECT
            }
        } catch {
            write("\(error)", to: reason)
            return BATON_ERROR
        }
    }

    static let commitBlock: @convention(c) (
        UnsafeMutableRawPointer, UnsafePointer<baton_block_context>, baton_bytes, UnsafeMutablePointer<UInt8>,
        UnsafePointer<baton_writer>
    ) -> baton_status = { instance, context, payload, stateHash, error in
        stateHashAnswer(to: stateHash, error: error) {
            try Instance.from(instance).app.commitBlock(BatonBlock(context), payload: Array(payload))
        }
    }

    /// A 32-byte state hash from `body` copied out (nil: BATON_NOT_FOUND), or why not.
    static func stateHashAnswer(to stateHash: UnsafeMutablePointer<UInt8>, error: UnsafePointer<baton_writer>,
                                _ body: () throws -> [UInt8]?) -> baton_status {
        do {
            guard let hash = try body() else { return BATON_NOT_FOUND }
            guard hash.count == Int(BATON_STATE_HASH_BYTES) else {
                write("state hash must be \(BATON_STATE_HASH_BYTES) bytes, app returned \(hash.count)", to: error)
                return BATON_ERROR
            }
            for (index, byte) in hash.enumerated() { stateHash[index] = byte }
            return BATON_OK
        } catch let failure {
            write("\(failure)", to: error)
            return BATON_ERROR
        }
    }

    static let query: @convention(c) (
        UnsafeMutableRawPointer, baton_bytes, UnsafePointer<baton_writer>, UnsafePointer<baton_writer>
    ) -> baton_status = { instance, request, response, error in
        do {
            let answer = try Instance.from(instance).app.query(Array(request))
            guard write(answer, to: response) else {
                write("response of \(answer.count) bytes is larger than the host accepts", to: error)
                return BATON_ERROR
            }
            return BATON_OK
        } catch let failure {
            write("\(failure)", to: error)
            return BATON_ERROR
        }
    }

    /// ABI 1.2: frames of (u32 little-endian length, bytes); an app that
    /// cannot tell (`nil`) answers BATON_NOT_FOUND and the host falls back.
    static let blockTransactions: @convention(c) (
        UnsafeMutableRawPointer, baton_bytes, UnsafePointer<baton_writer>, UnsafePointer<baton_writer>
    ) -> baton_status = { instance, payload, list, error in
        do {
            guard let transactions = try Instance.from(instance).app.transactions(in: Array(payload)) else {
                return BATON_NOT_FOUND
            }
            for transaction in transactions {
                let n = UInt32(transaction.count)
                guard write([UInt8(n & 0xFF), UInt8(n >> 8 & 0xFF), UInt8(n >> 16 & 0xFF), UInt8(n >> 24)], to: list),
                      write(transaction, to: list) else {
                    write("transaction list larger than the host accepts", to: error)
                    return BATON_ERROR
                }
            }
            return BATON_OK
        } catch let failure {
            write("\(failure)", to: error)
            return BATON_ERROR
        }
    }

    /// ABI 1.4: a live upgrade's state migration.
    static let migrateState: @convention(c) (
        UnsafeMutableRawPointer, UnsafePointer<CChar>, UnsafePointer<CChar>, UnsafePointer<baton_writer>
    ) -> baton_status = { instance, name, version, message in
        do {
            try Instance.from(instance).app.migrate(from: String(cString: name), version: String(cString: version))
            return BATON_OK
        } catch {
            write("\(error)", to: message)
            return BATON_ERROR
        }
    }

    /// ABI 1.7: nil from the app ("cannot tell") is BATON_NOT_FOUND.
    static let stateHashFromStore: @convention(c) (
        UnsafeMutableRawPointer, UnsafeMutablePointer<UInt8>, UnsafePointer<baton_writer>
    ) -> baton_status = { instance, stateHash, error in
        stateHashAnswer(to: stateHash, error: error) { try Instance.from(instance).app.stateHashFromStore() }
    }

    /// ABI 1.7.
    static let retainHeight: @convention(c) (UnsafeMutableRawPointer) -> UInt64 = { instance in
        Instance.from(instance).app.retainHeight()
    }

    @discardableResult
    static func write(_ bytes: [UInt8], to writer: UnsafePointer<baton_writer>) -> Bool {
        bytes.withUnsafeBufferPointer { writer.pointee.write(writer.pointee.ctx, $0.baseAddress, $0.count) == BATON_OK }
    }

    static func write(_ text: String, to writer: UnsafePointer<baton_writer>) {
        write(Array(text.utf8), to: writer)
    }
}

extension BatonBlock {
    /// Reads the host's context field by field, never as a whole struct: an
    /// older host's context is shorter than this kit's `baton_block_context`
    /// (1.0 ends before `finality_proof`), and copying `pointee` would read
    /// past it. Appended fields are read only when `struct_size` covers them.
    init(_ context: UnsafePointer<baton_block_context>) {
        let raw = UnsafeRawPointer(context)
        func offset(_ field: PartialKeyPath<baton_block_context>) -> Int { MemoryLayout<baton_block_context>.offset(of: field)! }
        let size = Int(raw.load(as: UInt32.self))
        let id = Array(UnsafeRawBufferPointer(start: raw + offset(\.block_id), count: Int(BATON_BLOCK_ID_BYTES)))
        let parent = Array(UnsafeRawBufferPointer(start: raw + offset(\.parent_id), count: Int(BATON_BLOCK_ID_BYTES)))
        let count = raw.load(fromByteOffset: offset(\.pending_count), as: Int.self)
        let list = raw.load(fromByteOffset: offset(\.pending_payloads), as: UnsafePointer<baton_bytes>?.self)
        let pending = (0..<count).map { Array(list![$0]) }
        let proofOffset = offset(\.finality_proof)
        let hasProof = size >= proofOffset + MemoryLayout<baton_bytes>.size
        self.init(height: raw.load(fromByteOffset: offset(\.height), as: UInt64.self),
                  view: raw.load(fromByteOffset: offset(\.view), as: UInt64.self),
                  timestampMs: raw.load(fromByteOffset: offset(\.timestamp_ms), as: UInt64.self),
                  id: id, parentID: parent,
                  proposer: Array(raw.load(fromByteOffset: offset(\.proposer), as: baton_bytes.self)),
                  pendingPayloads: pending,
                  finalityProof: hasProof ? Array(raw.load(fromByteOffset: proofOffset, as: baton_bytes.self)) : [])
    }
}
