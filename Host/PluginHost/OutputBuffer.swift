import BatonPluginAPI

/// Host-owned memory a plugin writes into through a `baton_writer`: the plugin
/// never allocates what the host keeps, and the host never frees plugin
/// memory. Bounded by `limit`.
final class OutputBuffer {
    private(set) var bytes: [UInt8] = []
    let limit: Int
    /// Set when a write was refused for size.
    private(set) var overflowed = false

    init(limit: Int) { self.limit = limit }

    func append(_ data: UnsafePointer<UInt8>?, _ count: Int) -> baton_status {
        guard count > 0 else { return BATON_OK }
        guard let data else { return BATON_ERR_INVALID_ARGUMENT }
        guard count <= limit - bytes.count else {
            overflowed = true
            return BATON_ERR_TOO_LARGE
        }
        bytes.append(contentsOf: UnsafeBufferPointer(start: data, count: count))
        return BATON_OK
    }

    var text: String { String(decoding: bytes, as: UTF8.self) }

    /// Runs `body` with a `baton_writer` that appends here; the writer is valid
    /// only inside `body`, as the ABI says.
    func withWriter<R>(_ body: (UnsafePointer<baton_writer>) throws -> R) rethrows -> R {
        var writer = baton_writer(
            struct_size: UInt32(MemoryLayout<baton_writer>.size), reserved: 0,
            ctx: Unmanaged.passUnretained(self).toOpaque(),
            write: { ctx, data, count in
                guard let ctx else { return BATON_ERR_INVALID_ARGUMENT }
                return Unmanaged<OutputBuffer>.fromOpaque(ctx).takeUnretainedValue().append(data, count)
            })
        return try withExtendedLifetime(self) { try withUnsafePointer(to: &writer) { try body($0) } }
    }
}
