import BatonCrypto
import Consensus
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
        let b = p.block
        let lie = Block(view: b.view, height: b.height, parentID: b.parentID, qc: b.qc, lastViewTC: b.lastViewTC,
                        proposer: b.proposer, timestampMs: b.timestampMs, executedHeight: b.executedHeight,
                        executedStateHash: b.executedStateHash, payload: b.payload,
                        includedTransactions: b.includedTransactions + extra)
        return .proposal(Proposal(block: lie, signature: signer.sign(
            SigningDomain.voteDigest(chainID: chainID, view: lie.view, blockID: lie.id))))
    }

    public func broadcast(_ message: Message) { inner.broadcast(relisted(message)) }
    public func send(_ message: Message, to peer: PublicKey) { inner.send(relisted(message), to: peer) }
    public func start() async throws { try await inner.start() }
    public var connectedPeers: [PublicKey] { inner.connectedPeers }
    public func statistics() async -> TransportStatistics { await inner.statistics() }
    public func shutdown() async { await inner.shutdown() }
}
