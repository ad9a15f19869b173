import Foundation

/// How the node writes and clients read the API's JSON: keys sorted (stable
/// answers to diff and to test), numbers as written.
public enum APIJSON {
    public static func encode(_ value: some Encodable) -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        // Every API type encodes; a failure here is a bug in this target, answered as an empty object.
        return (try? encoder.encode(value)) ?? Data("{}".utf8)
    }

    /// `T` from a node's answer, or nil when the answer is not one.
    public static func decode<T: Decodable>(_ type: T.Type, from data: Data) -> T? {
        try? JSONDecoder().decode(type, from: data)
    }
}

/// What every API error body is: `{"error": "..."}`.
public struct APIError: Codable, Sendable, Hashable {
    public var error: String
    public init(error: String) { self.error = error }
}

/// 503 from a node cut off from a quorum: the weight it reaches and the total.
public struct NoQuorumError: Codable, Sendable, Hashable {
    public var error: String
    public var reachableWeight: UInt64
    public var totalWeight: UInt64

    public init(error: String, reachableWeight: UInt64, totalWeight: UInt64) {
        (self.error, self.reachableWeight, self.totalWeight) = (error, reachableWeight, totalWeight)
    }
}

/// The part of `GET /v1/status` every answer has, `NodeStatus` or
/// `BusyNodeStatus`: which node and chain, and how far it got. What pollers
/// (demos, benchmarks, the CLI) read.
public struct NodeProgress: Codable, Sendable, Hashable {
    public var node: String
    public var chainID: String
    public var view: UInt64
    public var finalizedHeight: UInt64
    public var finalizedID: String
    public var stateHash: String
    public var peers: Int

    public init(node: String, chainID: String, view: UInt64, finalizedHeight: UInt64, finalizedID: String,
                stateHash: String, peers: Int) {
        (self.node, self.chainID, self.view, self.finalizedHeight) = (node, chainID, view, finalizedHeight)
        (self.finalizedID, self.stateHash, self.peers) = (finalizedID, stateHash, peers)
    }
}
