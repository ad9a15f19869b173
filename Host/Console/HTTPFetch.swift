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

/// The JSON object a GET answered with, or an empty one.
public func fetchJSON(_ url: String) async -> [String: Any] {
    guard let data = await fetchData(url) else { return [:] }
    return (try? JSONSerialization.jsonObject(with: data) as? [String: Any]) ?? [:]
}
