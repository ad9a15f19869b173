/// One change to the committee an application asked for while committing a
/// block (ABI 1.5 `update_committee`, as ABCI's validator updates): weight 0
/// removes the member, a key not in the committee is added at `address`,
/// any other weight replaces the member's. The host applies a block's
/// changes together after the block (docs/governance.md, "Committee changes").
public struct CommitteeUpdate: Sendable, Hashable {
    /// 33 bytes, a compressed secp256k1 key (its shape checked; the node checks the point).
    public let publicKey: [UInt8]
    public let weight: UInt64
    /// "host:port" where the member's consensus listener is; empty: unchanged (or none given).
    public let address: String

    public init(publicKey: [UInt8], weight: UInt64, address: String) {
        self.publicKey = publicKey
        self.weight = weight
        self.address = address
    }

    /// At most this many changes in one block.
    public static let perBlockMax = 64

    /// Whether `address` is "host:port" with a port in 1-65535 (or empty).
    static func isAddress(_ address: String) -> Bool {
        guard !address.isEmpty else { return true }
        guard address.utf8.count <= 255, let colon = address.lastIndex(of: ":"), colon != address.startIndex,
              let port = Int(address[address.index(after: colon)...]) else { return false }
        return (1...65_535).contains(port)
    }
}
