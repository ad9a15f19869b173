import Hummingbird
import Node
import NIOCore
import NIOHTTP1
import NIOHTTPTypes

/// A request NIO cannot parse (a 1 MB query string overflows the header
/// limit, a malformed request line) is answered here, before Hummingbird,
/// which would send a 400 with an empty body: the API's every error answer
/// has a JSON `{"error": …}` body. The connection is closed after it, as
/// the stream's framing can no longer be trusted.
final class ParseErrorResponder: ChannelInboundHandler, RemovableChannelHandler, Sendable {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundOut = HTTPResponsePart

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard let parse = error as? HTTPParserError else {
            context.fireErrorCaught(error)
            return
        }
        let reason = parse == .headerOverflow
            ? "request line and headers exceed 80 KiB: send large data in a POST body"
            : "malformed HTTP request (\(parse))"
        let body = ByteBuffer(string: #"{"error":"\#(reason)"}"#)
        var head = HTTPResponse(status: .badRequest)
        head.headerFields[.contentType] = "application/json"
        head.headerFields[.contentLength] = "\(body.readableBytes)"
        head.headerFields[.connection] = "close"
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.write(wrapOutboundOut(.body(body)), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in context.close(promise: nil) }
    }
}
