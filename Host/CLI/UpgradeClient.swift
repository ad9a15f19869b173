import BatonAPI
import BatonConsole
import BatonCrypto
import Foundation
import Node
import Governance

/// What `baton upgrade` and `baton demo --upgrade-at` both ask of a node's
/// API: its chain id, and relaying a signed host transaction.
enum UpgradeClient {
    /// The node's chain id (`/v1/status`), or nil when no node answers there.
    static func chainID(api: String) async -> Bytes32? {
        (await fetch(NodeProgress.self, "http://\(api)/v1/status")?.chainID).flatMap(Hex.decode).flatMap(Bytes32.init)
    }

    /// Submits a signed plan or approval (`POST /v1/tx`); the status and
    /// body, or nil when the node could not be reached.
    static func submit(_ transaction: HostTransaction, api: String) async -> (status: Int, body: Data)? {
        await httpRequest("POST", "http://\(api)/v1/tx", body: Data(transaction.submission))
    }
}

/// What `baton upgrade` and `baton committee` share: an error that ends the
/// command, the member's key, and relaying a signed host transaction.
func fail(_ message: String) -> Never {
    printError("error: \(message)")
    Foundation.exit(1)
}

func loadSigner(_ path: String) throws -> Secp256k1Signer {
    do { return Secp256k1Signer(try KeyFile.load(path)) } catch { fail("\(error)") }
}

/// The chain id of the node at `api`; ends the command when no node answers
/// there (before anything is signed).
func requireChainID(api: String) async -> Bytes32 {
    guard let chain = await UpgradeClient.chainID(api: api) else {
        fail("no chain id from http://\(api)/v1/status: is a node's API there?")
    }
    return chain
}

/// Submits `transaction` through `api`; ends the command with the node's
/// reason when it is refused.
func submit(_ transaction: HostTransaction, api: String) async throws {
    guard let (status, body) = await UpgradeClient.submit(transaction, api: api) else { fail("no answer from \(api)") }
    guard status == 202 || status == 200 else {
        let reason = APIJSON.decode(APIError.self, from: body)?.error ?? String(decoding: body, as: UTF8.self)
        fail("the node refused it: \(reason) (HTTP \(status))")
    }
}

/// The open plan `id` in the `open` list `route` answers at `api` (a
/// `Listing`); ends the command, listing the open plans, when there is none such.
func openPlan<Listing: OpenPlanListing>(_ id: String, route: String, api: String,
                                        in listing: Listing.Type) async -> Listing.Description {
    let open = await fetch(Listing.self, "http://\(api)\(route)")?.open.map(\.plan) ?? []
    guard let plan = open.first(where: { $0.id == id.lowercased() }) else {
        fail("no open plan \(id) on \(api)\(route); open plans: \(open.map(\.id).joined(separator: ", "))")
    }
    return plan
}

/// Prints what `route` answers at `api` (a status command).
func printAnswer(route: String, api: String) async {
    guard let data = await fetchData("http://\(api)\(route)") else { fail("no answer from \(api)\(route)") }
    print(String(decoding: data, as: UTF8.self))
}

