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

/// The value of an unlabelled Prometheus gauge or counter at `url` (a
/// node's `/metrics`), or -1 if unreadable.
public func prometheusValue(_ name: String, at url: String) async -> Double {
    guard let reply = try? await httpRequest(url) else { return -1 }
    let line = String(decoding: reply.body, as: UTF8.self).split(separator: "\n").first { $0.hasPrefix(name + " ") }
    return line.flatMap { Double($0.split(separator: " ")[1]) } ?? -1
}
