import BatonCrypto

/// EP-4: "I am in `epoch`, which began after height `rootHeight`". A node in
/// an earlier epoch learns from it that its chain ended elsewhere (nothing of
/// the later epoch validates under its committee) and catches up by height;
/// the answer carries the switch record's blocks and QC.
public struct EpochNotice: Hashable, Sendable, WireCodable {
    public let epoch: Epoch
    public let rootHeight: Height

    public init(epoch: Epoch, rootHeight: Height) {
        self.epoch = epoch
        self.rootHeight = rootHeight
    }

    public func encode(to w: inout WireWriter) {
        w.u64(epoch)
        w.u64(rootHeight)
    }

    public init(from r: inout WireReader) throws(WireDecodingError) {
        epoch = try r.u64("epochNotice.epoch")
        rootHeight = try r.u64("epochNotice.rootHeight")
    }
}
