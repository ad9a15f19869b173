import BatonAPI
import Hummingbird
import Node
import NIOCore
import PluginHost

extension HTTPAPI {
    /// Bound of a typed function call's JSON arguments.
    static let callBytesMax = 1 << 20

    /// The application: queries and typed functions, answered off the consensus loop.
    static func addAppRoutes(to router: Router<BasicRequestContext>, node: ConsensusNode) {
        router.get("/v1/apps/query") { request, _ -> Response in
            let query = request.uri.queryParameters.get("request") ?? ""
            do {
                let answer = try await node.query(Array(query.utf8))
                let isJSON = answer.first == UInt8(ascii: "{") || answer.first == UInt8(ascii: "[")
                return Response(status: .ok, headers: [.contentType: isJSON ? "application/json" : "application/octet-stream"],
                                body: ResponseBody(byteBuffer: ByteBuffer(bytes: answer)))
            } catch let error as SideCallError {
                return json(.serviceUnavailable, ["error": error.description])
            } catch let error as ApplicationError where error.kind == .crashed {
                return json(.serviceUnavailable, ["error": "\(error)"])
            } catch {
                return json(.badRequest, ["error": "\(error)"])
            }
        }
        router.get("/v1/apps/functions") { _, _ -> Response in
            let plugin = await node.plugin
            return json(.ok, FunctionListing(plugin: plugin.name, functions: node.functions.map(FunctionJSON.listing)))
        }
        router.post("/v1/apps/call/:name") { request, context -> Response in
            let name = context.parameters.get("name") ?? ""
            let encoding = FunctionJSON.BytesEncoding(rawValue: request.uri.queryParameters.get("bytes") ?? "hex")
            guard let encoding else { return json(.badRequest, ["error": "bytes= must be hex or base64"]) }
            let body = try await request.body.collect(upTo: Self.callBytesMax + 1)
            guard body.readableBytes <= Self.callBytesMax else {
                return json(.contentTooLarge, ["error": "arguments over \(Self.callBytesMax) bytes"])
            }
            let functions = node.functions
            guard let function = functions.first(where: { $0.name == name }) else {
                return json(.notFound, ["error": "\(FunctionCallError.unknownFunction(name, known: functions.map(\.name)))"])
            }
            let arguments: [FunctionValue]
            do { arguments = try FunctionJSON.arguments(Array(buffer: body), for: function, bytes: encoding) } catch {
                return json(.badRequest, ["error": "\(error)", "signature": "\(function.signature)"])
            }
            do {
                let (result, height) = try await node.call(name, arguments: arguments)
                return json(.ok, FlatJSON(["function": .string(name), "result": FunctionJSON.flat(result, bytes: encoding),
                                           "type": .string("\(function.signature.result)"), "height": .raw(String(height))]))
            } catch let error as FunctionCallError {
                switch error {
                case .failed: return json(.internalServerError, ["error": "\(error)"])
                case .unknownFunction: return json(.notFound, ["error": "\(error)"])
                default: return json(.badRequest, ["error": "\(error)", "signature": "\(function.signature)"])
                }
            } catch let error as SideCallError {
                return json(.serviceUnavailable, ["error": error.description])
            }
        }
    }
}
