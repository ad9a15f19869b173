import NIOCore

import Synchronization

/// The largest frame a connection may receive, raised once its peer is
/// authenticated: before that only handshake messages (under 100 bytes) are
/// due, so an unauthenticated peer can make the node buffer at most
/// `ConnectionLimits.handshakeFrameBytesMax` per connection, not a block.
final class FrameLimit: Sendable {
    private let bytes: Atomic<Int>
    /// The size of a frame refused for exceeding the limit (0: none). Kept
    /// here because the error itself may never reach the connection's task:
    /// a write that fails on the closing channel first hides it.
    let refusedFrameBytes = Atomic<Int>(0)
    init(_ bytes: Int) { self.bytes = Atomic(bytes) }
    var current: Int { bytes.load(ordering: .relaxed) }
    func raise(to bytes: Int) { self.bytes.store(bytes, ordering: .relaxed) }
}

/// Frames on the wire: a big-endian u32 length, then that many bytes. The
/// length is checked against the connection's `FrameLimit` before a byte of
/// the body is buffered: a peer announcing a huge frame is disconnected at once.
struct FrameDecoder: ByteToMessageDecoder {
    typealias InboundOut = ByteBuffer
    let limit: FrameLimit

    struct FrameTooLarge: Error, CustomStringConvertible {
        let bytes: Int
        let max: Int
        var description: String { "frame of \(bytes) bytes exceeds the \(max)-byte limit" }
    }

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let length = buffer.getInteger(at: buffer.readerIndex, as: UInt32.self) else { return .needMoreData }
        let frameBytesMax = limit.current
        guard Int(length) <= frameBytesMax else {
            limit.refusedFrameBytes.store(Int(length), ordering: .relaxed)
            throw FrameTooLarge(bytes: Int(length), max: frameBytesMax)
        }
        guard buffer.readableBytes >= 4 + Int(length) else { return .needMoreData }
        buffer.moveReaderIndex(forwardBy: 4)
        // An empty frame is a keep-alive (see `KeepAlive`): it has done its
        // work by arriving; nothing above the decoder sees it.
        guard length > 0 else { return .continue }
        context.fireChannelRead(wrapInboundOut(buffer.readSlice(length: Int(length))!))
        return .continue
    }
}

struct FrameEncoder: MessageToByteEncoder {
    typealias OutboundIn = ByteBuffer

    func encode(data: ByteBuffer, out: inout ByteBuffer) throws {
        out.writeInteger(UInt32(data.readableBytes))
        out.writeImmutableBuffer(data)
    }
}
