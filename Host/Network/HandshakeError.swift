import BatonCrypto

/// Why a connection was refused during its handshake. Expected and benign for
/// the node: the connection is closed and counted.
public enum HandshakeError: Error, Hashable, Sendable, CustomStringConvertible {
    case malformed(String)
    case versionMismatch(ours: UInt8, theirs: UInt8)
    case wrongChain
    case badSignature
    case unauthorizedPeer(String)
    /// A committee key, but not the one expected on this connection.
    case unexpectedPeer(String, String)
    case keyAgreementFailed
    case timedOut
    /// Too many connections from this address (or in all) are in their handshake.
    case overloaded(String)
    /// The key already has a live connection.
    case duplicateKey(String)

    public var description: String {
        switch self {
        case .malformed(let what): "handshake: malformed \(what)"
        case .versionMismatch(let ours, let theirs): "handshake: peer speaks protocol \(theirs), this node \(ours)"
        case .wrongChain: "handshake: peer belongs to another chain"
        case .badSignature: "handshake: peer could not prove it holds the key it claims"
        case .unauthorizedPeer(let key): "handshake: key \(key) is not in the committee or the configured listeners"
        case .unexpectedPeer(let key, let why): "handshake: key \(key) is in the committee but not expected here: \(why)"
        case .keyAgreementFailed: "handshake: key agreement failed"
        case .timedOut: "handshake: peer did not finish in time"
        case .overloaded(let address): "handshake: too many connections pending (from \(address) or in all); closed"
        case .duplicateKey(let key): "handshake: key \(key) already has a live connection (two processes with one key?)"
        }
    }
}
