import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A node's (or a chain node's) answer over HTTP.
public struct HTTPReply: @unchecked Sendable {
    public let status: Int
    /// The body as a JSON object, or empty when it is not one.
    public let json: [String: Any]
    public let body: Data
}

public func httpRequest(_ url: String, method: String = "GET", body: Data? = nil) async throws -> HTTPReply {
    var request = URLRequest(url: URL(string: url)!)
    request.httpMethod = method
    request.httpBody = body
    let (data, response) = try await URLSession.shared.data(for: request)
    let json = (try? JSONSerialization.jsonObject(with: data) as? [String: Any]) ?? [:]
    return HTTPReply(status: (response as? HTTPURLResponse)?.statusCode ?? 0, json: json, body: data)
}
