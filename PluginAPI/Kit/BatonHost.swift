import BatonPluginAPI

/// The host's services, as the host handed them to this instance. Valid until
/// the instance is destroyed. `log`, `sha256` and `PendingAnswer` may be used
/// from any thread; the store only inside a call from the host.
public struct BatonHost: @unchecked Sendable {
    // @unchecked: the table is the host's and, per the ABI, safe to use from
    // any thread for the [any] functions; the store functions are [in-call].
    let table: UnsafePointer<baton_host>

    init(_ table: UnsafePointer<baton_host>) { self.table = table }

    public enum LogLevel: Int32, Sendable { case trace = 0, debug, info, warning, error }

    public func log(_ level: LogLevel, _ message: String) {
        let bytes = Array(message.utf8)
        bytes.withUnsafeBufferPointer { utf8 in
            utf8.withMemoryRebound(to: CChar.self) { table.pointee.log(table, level.rawValue, $0.baseAddress, $0.count) }
        }
    }

    /// The committed value (plus this commit's own writes), or nil.
    public func get(_ key: [UInt8]) throws -> [UInt8]? {
        let sink = ByteSink()
        let status = key.withUnsafeBufferPointer { key in
            sink.withWriter { table.pointee.kv_get(table, baton_bytes(ptr: key.baseAddress, len: key.count), $0) }
        }
        switch status {
        case BATON_OK: return sink.bytes
        case BATON_NOT_FOUND: return nil
        default: throw HostCallError(call: "kv_get", status: status)
        }
    }

    /// Only inside `commitBlock`; elsewhere the host refuses (read-only).
    public func put(_ key: [UInt8], _ value: [UInt8]) throws {
        let status = key.withUnsafeBufferPointer { key in
            value.withUnsafeBufferPointer { value in
                table.pointee.kv_put(table, baton_bytes(ptr: key.baseAddress, len: key.count),
                                     baton_bytes(ptr: value.baseAddress, len: value.count))
            }
        }
        guard status == BATON_OK else { throw HostCallError(call: "kv_put", status: status) }
    }

    public func delete(_ key: [UInt8]) throws {
        let status = key.withUnsafeBufferPointer { table.pointee.kv_delete(table, baton_bytes(ptr: $0.baseAddress, len: $0.count)) }
        guard status == BATON_OK else { throw HostCallError(call: "kv_delete", status: status) }
    }

    /// Visits keys with `prefix` in ascending order until `visit` returns false.
    public func forEach(prefix: [UInt8], _ visit: ([UInt8], [UInt8]) -> Bool) throws {
        let status = withoutActuallyEscaping(visit) { visit in
            var box = visit
            return withUnsafeMutablePointer(to: &box) { boxPointer in
                prefix.withUnsafeBufferPointer { prefix in
                    table.pointee.kv_iterate(table, baton_bytes(ptr: prefix.baseAddress, len: prefix.count), { context, key, value in
                        let visit = context!.assumingMemoryBound(to: (([UInt8], [UInt8]) -> Bool).self).pointee
                        return visit(Array(key), Array(value)) ? 0 : 1
                    }, boxPointer)
                }
            }
        }
        guard status == BATON_OK else { throw HostCallError(call: "kv_iterate", status: status) }
    }

    /// Whether the host can take committee changes (ABI 1.5): a 1.4 or older
    /// host's table ends before `update_committee`.
    public var changesCommittee: Bool {
        Int(table.pointee.struct_size) >= MemoryLayout<baton_host>.offset(of: \.update_committee)! + MemoryLayout<UnsafeRawPointer>.size
    }

    /// Only inside `commitBlock` (ABI 1.5): a change to the committee, applied
    /// with the block's others after it — weight 0 removes `publicKey` (33
    /// bytes, compressed secp256k1), a new key joins at `address` ("host:port"),
    /// any other weight replaces the member's. Throws if the host is older
    /// than 1.5 or refuses the change (see the header).
    public func updateCommittee(publicKey: [UInt8], weight: UInt64, address: String = "") throws {
        guard changesCommittee else { throw HostCallError(call: "update_committee", status: BATON_ERR_INVALID_ARGUMENT) }
        let address = Array(address.utf8)
        let status = publicKey.withUnsafeBufferPointer { key in
            address.withUnsafeBufferPointer { address in
                table.pointee.update_committee(table, baton_bytes(ptr: key.baseAddress, len: key.count), weight,
                                               baton_bytes(ptr: address.baseAddress, len: address.count))
            }
        }
        guard status == BATON_OK else { throw HostCallError(call: "update_committee", status: status) }
    }

    public func sha256(_ data: [UInt8]) -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: Int(BATON_STATE_HASH_BYTES))
        data.withUnsafeBufferPointer { data in
            digest.withUnsafeMutableBufferPointer {
                table.pointee.sha256(table, baton_bytes(ptr: data.baseAddress, len: data.count), $0.baseAddress!)
            }
        }
        return digest
    }
}

/// A host callback answered with something other than success.
public struct HostCallError: Error, CustomStringConvertible, Sendable {
    public let call: String
    public let status: Int32
    public var description: String {
        let meaning = switch status {
        case BATON_ERR_READ_ONLY: "read-only: the store can change only inside commitBlock"
        case BATON_ERR_TOO_LARGE: "too large for the host's limit"
        case BATON_ERR_INVALID_ARGUMENT: "invalid argument"
        case BATON_ERR_STORAGE: "the host's store failed"
        default: "status \(status)"
        }
        return "\(call): \(meaning)"
    }
}

/// Completes a call that answered `.pending`, exactly once, from any thread,
/// before the instance is destroyed.
public struct PendingAnswer: @unchecked Sendable {
    let host: BatonHost
    public let token: UInt64

    /// produce_block's late payload.
    @discardableResult public func produced(_ payload: [UInt8]) -> Bool { complete(BATON_OK, payload) }
    @discardableResult public func valid() -> Bool { complete(BATON_OK, []) }
    @discardableResult public func invalid(_ reason: String) -> Bool { complete(BATON_REJECT, Array(reason.utf8)) }
    @discardableResult public func failed(_ message: String) -> Bool { complete(BATON_ERROR, Array(message.utf8)) }

    private func complete(_ status: baton_status, _ data: [UInt8]) -> Bool {
        data.withUnsafeBufferPointer {
            host.table.pointee.complete(host.table, token, status, baton_bytes(ptr: $0.baseAddress, len: $0.count)) == BATON_OK
        }
    }
}

extension Array where Element == UInt8 {
    init(_ bytes: baton_bytes) {
        if bytes.len == 0 { self = [] } else { self = Array(UnsafeBufferPointer(start: bytes.ptr, count: bytes.len)) }
    }
}

/// Plugin-side memory a host writes into (kv_get's value).
final class ByteSink {
    var bytes: [UInt8] = []

    func withWriter<R>(_ body: (UnsafePointer<baton_writer>) -> R) -> R {
        var writer = baton_writer(
            struct_size: UInt32(MemoryLayout<baton_writer>.size), reserved: 0,
            ctx: Unmanaged.passUnretained(self).toOpaque(),
            write: { ctx, data, count in
                let sink = Unmanaged<ByteSink>.fromOpaque(ctx!).takeUnretainedValue()
                if count > 0, let data { sink.bytes.append(contentsOf: UnsafeBufferPointer(start: data, count: count)) }
                return BATON_OK
            })
        return withExtendedLifetime(self) { withUnsafePointer(to: &writer) { body($0) } }
    }
}
