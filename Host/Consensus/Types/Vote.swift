import BatonCrypto

/// A vote for `blockID` in `view`, sent to the leader of `view + 1` (Jolteon:
/// votes carry no QC).
public struct Vote: Hashable, Sendable, CustomStringConvertible {
    public let view: View
    public let blockID: BlockID
    public let signer: ValidatorIndex
    public let signature: Signature

    public init(view: View, blockID: BlockID, signer: ValidatorIndex, signature: Signature) {
        self.view = view
        self.blockID = blockID
        self.signer = signer
        self.signature = signature
    }

    public var description: String { "Vote(v\(view) \(blockID.short) by \(signer))" }
}

extension Vote: WireCodable {
    public func encode(to writer: inout WireWriter) {
        writer.u64(view)
        writer.bytes32(blockID)
        writer.u16(signer)
        writer.signature(signature)
    }

    public init(from reader: inout WireReader) throws(WireDecodingError) {
        view = try reader.u64("vote.view")
        blockID = try reader.bytes32("vote.blockID")
        signer = try reader.u16("vote.signer")
        signature = try reader.signature("vote.signature")
    }
}
