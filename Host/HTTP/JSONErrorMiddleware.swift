import Foundation
import Hummingbird
import Node
import NIOCore

/// Every error answer of the API is JSON, `{"error": …}`, whatever raised
/// it: a route's own 4xx, the router's 404, a body over its limit (413), a
/// malformed request. A path that exists with another method is a 405 with
/// `Allow`, not a 404.
struct JSONErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    /// The API's paths and their methods; `:name` matches one path segment.
    let routes: [(method: HTTPRequest.Method, path: String)]

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError {
            if error.status == .notFound, case let allowed = methods(for: request.uri.path), !allowed.isEmpty,
               !allowed.contains(request.method) {
                var response = HTTPAPI.json(.methodNotAllowed, [
                    "error": "\(request.method.rawValue) is not allowed on \(request.uri.path); use \(allowed.map(\.rawValue).joined(separator: " or "))",
                ])
                response.headers[.allow] = allowed.map(\.rawValue).joined(separator: ", ")
                return response
            }
            return HTTPAPI.json(error.status, ["error": message(error)])
        } catch is NIOTooManyBytesError {
            return HTTPAPI.json(.contentTooLarge, ["error": "request body too large for this route (POST /v1/tx: one transaction; POST /v1/txs: 8 MiB)"])
        } catch let error as DecodingError {
            return HTTPAPI.json(.badRequest, ["error": "malformed request: \(error)"])
        }
    }

    func message(_ error: HTTPError) -> String {
        if let body = error.body, !body.isEmpty { return body }
        switch error.status {
        case .notFound: return "no such route; see GET / and docs/operations.md (The HTTP API)"
        case .contentTooLarge: return "request body too large for this route"
        default: return error.status.reasonPhrase
        }
    }

    func methods(for path: String) -> [HTTPRequest.Method] {
        let segments = path.split(separator: "/", omittingEmptySubsequences: true)
        return routes.filter { route in
            let pattern = route.path.split(separator: "/", omittingEmptySubsequences: true)
            return pattern.count == segments.count && zip(pattern, segments).allSatisfy { $0.hasPrefix(":") || $0 == $1 }
        }.map(\.method)
    }
}
