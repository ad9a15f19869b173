import NIOCore

/// Frames on the wire: a big-endian u32 length, then that many bytes. The
/// length is checked against `frameBytesMax` before a byte of the body is
/// buffered: a peer announcing a huge frame is disconnected at once.
struct FrameDecoder: ByteToMessageDecoder {
    typealias InboundOut = ByteBuffer
    let frameBytesMax: Int

    struct FrameTooLarge: Error, CustomStringConvertible {
        let bytes: Int
        let max: Int
        var description: String { "frame of \(bytes) bytes exceeds the \(max)-byte limit" }
    }

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let length = buffer.getInteger(at: buffer.readerIndex, as: UInt32.self) else { return .needMoreData }
        guard Int(length) <= frameBytesMax else { throw FrameTooLarge(bytes: Int(length), max: frameBytesMax) }
        guard buffer.readableBytes >= 4 + Int(length) else { return .needMoreData }
        buffer.moveReaderIndex(forwardBy: 4)
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
