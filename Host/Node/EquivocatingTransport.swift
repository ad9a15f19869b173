import BatonCrypto
@_spi(Testing) import Consensus

/// Demo only (`baton node --byzantine-equivocate`): a Byzantine leader. Wraps
/// the real transport and, for each proposal this node broadcasts, sends
/// every other member both the honest proposal and a signed twin with another
/// payload — half of them the honest one first, half the twin — the attack
/// the federation must survive (each honest node votes for the first it
/// got, and keeps the pair as evidence). The node's own core stays honest;
/// only what leaves it is distorted.
public struct EquivocatingTransport: PeerTransport {
    let inner: any PeerTransport
    let signer: any MessageSigner
    let committee: Committee

    public init(wrapping inner: any PeerTransport, signer: any MessageSigner, committee: Committee) {
        self.inner = inner
        self.signer = signer
        self.committee = committee
    }

    public func broadcast(_ message: Message) {
        guard case .proposal(let proposal) = message else { return inner.broadcast(message) }
        let twin = proposal.twin(payloadSuffix: [0xEE], signer: signer, chainID: committee.signingDomain)
        for (index, member) in committee.members.enumerated() where member.publicKey != signer.publicKey {
            let (first, second) = index % 2 == 0 ? (proposal, twin) : (twin, proposal)
            inner.send(.proposal(first), to: member.publicKey)
            inner.send(.proposal(second), to: member.publicKey)
        }
    }

    public func start() async throws { try await inner.start() }
    public func send(_ message: Message, to peer: PublicKey) { inner.send(message, to: peer) }
    public var connectedPeers: [PublicKey] { inner.connectedPeers }
    public func statistics() async -> TransportStatistics { await inner.statistics() }
    public func shutdown() async { await inner.shutdown() }
    public func updateMembership(members: [(key: PublicKey, host: String, port: Int)], listeners: [PublicKey],
                                 isMember: Bool) async {
        await inner.updateMembership(members: members, listeners: listeners, isMember: isMember)
    }
}
