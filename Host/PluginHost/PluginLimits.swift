/// Bounds on what a plugin may hand the host; a writer refuses bytes past its
/// bound with BATON_ERR_TOO_LARGE, so a plugin can never make the host
/// allocate without limit.
public struct PluginLimits: Sendable, Hashable {
    /// A block payload from produce_block (or its pending completion).
    public var payloadBytesMax = 4 * 1024 * 1024
    /// A query response.
    public var responseBytesMax = 4 * 1024 * 1024
    /// One key written through kv_put / kv_delete.
    public var keyBytesMax = 4 * 1024
    /// One value written through kv_put.
    public var valueBytesMax = 16 * 1024 * 1024
    /// A reason or error message; longer text is cut.
    public var messageBytesMax = 4 * 1024
    /// One log line.
    public var logLineBytesMax = 4 * 1024
    /// Pending produce/validate answers open at once; past it a pending answer
    /// is refused as a contract violation.
    public var pendingAnswersMax = 1024

    public init() {}
}
