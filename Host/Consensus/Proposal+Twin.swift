import BatonCrypto

extension Proposal {
    /// A conflicting proposal for the same view, parent and certificates,
    /// with `suffix` appended to the payload, signed by `signer` as its
    /// proposer's vote. Only a Byzantine leader sends one: the simulator's
    /// equivocating members and the demo's `EquivocatingTransport` share it.
    @_spi(Testing) public func twin(payloadSuffix suffix: [UInt8], signer: any MessageSigner, chainID: Bytes32) -> Proposal {
        let b = block
        let twin = Block(view: b.view, height: b.height, parentID: b.parentID, qc: b.qc, lastViewTC: b.lastViewTC,
                         proposer: b.proposer, timestampMs: b.timestampMs, executedHeight: b.executedHeight,
                         executedStateHash: b.executedStateHash, payload: b.payload + suffix)
        return Proposal(block: twin, signature: signer.sign(SigningDomain.voteDigest(chainID: chainID, view: twin.view,
                                                                                       blockID: twin.id)))
    }
}
