import BatonCrypto
@_spi(Testing) import Consensus
import Node

/// A Byzantine proposer: every proposal this node sends lists `extra`
/// transaction hashes besides its own, re-signed, while its payload stays
/// what it was — the lie the host must not act on.
public struct RelistingTransport: PeerTransport {
    let inner: any PeerTransport
    let signer: any MessageSigner
    let chainID: Bytes32
    let extra: [Bytes32]

    public init(wrapping inner: any PeerTransport, signer: any MessageSigner, chainID: Bytes32, extra: [Bytes32]) {
        self.inner = inner
        self.signer = signer
        self.chainID = chainID
        self.extra = extra
    }

    func relisted(_ message: Message) -> Message {
        guard case .proposal(let p) = message else { return message }
        let lie = p.block.altered(includedTransactions: p.block.includedTransactions + extra)
        return .proposal(.forged(lie, signer: signer, chainID: chainID))
    }

    public func broadcast(_ message: Message) { inner.broadcast(relisted(message)) }
    public func send(_ message: Message, to peer: PublicKey) { inner.send(relisted(message), to: peer) }
    public func start() async throws { try await inner.start() }
    public var connectedPeers: [PublicKey] { inner.connectedPeers }
    public func statistics() async -> TransportStatistics { await inner.statistics() }
    public func shutdown() async { await inner.shutdown() }
}
