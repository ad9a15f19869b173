import BatonCrypto
import Consensus
import Governance

/// How one epoch after the first began, as a node stores it: the switch
/// record (`EpochChange`: the committee, the old epoch's last block and the
/// proof it is final) and where each new member listens. Written with the
/// block that ended the epoch before (`ConsensusStore.stageEpochSwitch`).
public struct EpochRecord: Sendable {
    public let change: EpochChange
    /// host:port of each member's consensus listener, in committee order.
    public let addresses: [String]

    public init(change: EpochChange, addresses: [String]) {
        precondition(addresses.count == change.committee.count, "one address per member")
        self.change = change
        self.addresses = addresses
    }

    public var epoch: Epoch { change.epoch }
    public var committee: Committee { change.committee }
}

extension EpochRecord: WireCodable {
    public func encode(to writer: inout WireWriter) {
        change.encode(to: &writer)
        for address in addresses { writer.blob(Array(address.utf8)) }
    }

    public init(from reader: inout WireReader) throws(WireDecodingError) {
        let change = try EpochChange(from: &reader)
        var addresses: [String] = []
        for _ in 0..<change.committee.count {
            guard let address = String(validating: try reader.blob("epochRecord.address", max: CommitteeChangePlan.addressBytesMax),
                                        as: UTF8.self) else {
                throw WireDecodingError(.invalidValue, field: "epochRecord.address", detail: "not UTF-8")
            }
            addresses.append(address)
        }
        self.init(change: change, addresses: addresses)
    }
}
