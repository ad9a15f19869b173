import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The body of a GET that answered 200, or nil (demos and benchmarks polling
/// the nodes' APIs; a node that is down is just "no answer").
public func fetchData(_ url: String) async -> Data? {
    guard let (data, response) = try? await URLSession.shared.data(from: URL(string: url)!),
          (response as? HTTPURLResponse)?.statusCode == 200 else { return nil }
    return data
}

/// What a GET answered, decoded as `T` (an API type, `BatonAPI`), or nil
/// when nothing answered or the answer is not one.
public func fetch<T: Decodable>(_ type: T.Type, _ url: String) async -> T? {
    guard let data = await fetchData(url) else { return nil }
    return try? JSONDecoder().decode(type, from: data)
}

/// One request to a node's API: the status and body, or nil when the node
/// could not be reached (the CLI's `baton call`).
public func httpRequest(_ method: String, _ url: String, body: Data? = nil) async -> (status: Int, body: Data)? {
    guard let target = URL(string: url) else { return nil }
    var request = URLRequest(url: target)
    request.httpMethod = method
    request.timeoutInterval = 30
    if let body {
        request.httpBody = body
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
    }
    guard let (data, response) = try? await URLSession.shared.data(for: request),
          let http = response as? HTTPURLResponse else { return nil }
    return (http.statusCode, data)
}
