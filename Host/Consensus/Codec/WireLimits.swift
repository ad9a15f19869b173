/// Upper bounds the decoder checks before it allocates anything: a peer can
/// never make a node allocate more than these allow.
public struct WireLimits: Sendable, Hashable {
    /// A whole message.
    public var messageBytesMax = 8 * 1024 * 1024
    /// A block's application payload.
    public var payloadBytesMax = 4 * 1024 * 1024
    /// Signers in one certificate (and members of a committee).
    public var signersMax = 1024
    /// Transactions in one mempool batch.
    public var transactionsMax = 10_000
    /// One transaction.
    public var transactionBytesMax = 64 * 1024
    /// Blocks in one block-sync response.
    public var syncBlocksMax = 256

    public init() {}
    public static let standard = WireLimits()
}
