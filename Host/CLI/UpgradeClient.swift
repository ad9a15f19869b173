import BatonConsole
import BatonCrypto
import Foundation
import Node

/// What `baton upgrade` and `baton demo --upgrade-at` both ask of a node's
/// API: its chain id, and relaying a signed host transaction.
enum UpgradeClient {
    /// The node's chain id (`/v1/status`), or nil when no node answers there.
    static func chainID(api: String) async -> Bytes32? {
        (await fetchJSON("http://\(api)/v1/status")["chainID"] as? String).flatMap(Hex.decode).flatMap(Bytes32.init)
    }

    /// Submits a signed plan or approval (`POST /v1/tx`); the status and
    /// body, or nil when the node could not be reached.
    static func submit(_ transaction: HostTransaction, api: String) async -> (status: Int, body: Data)? {
        await httpRequest("POST", "http://\(api)/v1/tx", body: Data(transaction.submission))
    }
}
