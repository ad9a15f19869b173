import BatonCrypto

extension Proposal {
    /// `block` signed by `signer` as its proposer's vote. Only a Byzantine
    /// proposer signs a block its own core did not build: the simulator's
    /// Byzantine members, the demo's `EquivocatingTransport` and tests share this.
    @_spi(Testing) public static func forged(_ block: Block, signer: any MessageSigner, chainID: Bytes32) -> Proposal {
        Proposal(block: block, signature: signer.sign(SigningDomain.voteDigest(domain: chainID, view: block.view,
                                                                             blockID: block.id)))
    }

    /// A conflicting proposal for the same view, parent and certificates,
    /// with `suffix` appended to the payload (and no transaction list).
    @_spi(Testing) public func twin(payloadSuffix suffix: [UInt8], signer: any MessageSigner, chainID: Bytes32) -> Proposal {
        .forged(block.altered(payload: block.payload + suffix, includedTransactions: []), signer: signer, chainID: chainID)
    }
}

extension Block {
    /// This block with some fields replaced (a new id follows from them);
    /// `lastViewTC: .some(nil)` removes the TC. For forging, as above.
    @_spi(Testing) public func altered(lastViewTC: TimeoutCertificate?? = .none, executedStateHash: Bytes32? = nil,
                                       payload: [UInt8]? = nil, includedTransactions: [Bytes32]? = nil) -> Block {
        Block(view: view, height: height, parentID: parentID, qc: qc, lastViewTC: lastViewTC ?? self.lastViewTC,
              proposer: proposer, timestampMs: timestampMs, executedHeight: executedHeight,
              executedStateHash: executedStateHash ?? self.executedStateHash, payload: payload ?? self.payload,
              includedTransactions: includedTransactions ?? self.includedTransactions)
    }
}
