import NIOCore

/// Keep-alives tell a live peer from a dead one: each side writes an empty
/// frame (a zero length, nothing else) every `ConnectionLimits.keepAliveInterval`,
/// and closes a connection that has received nothing — not a message, not a
/// keep-alive — for `silenceTimeout` (a half-open socket, a frozen process).
/// Both run on the connection's NIO event loop, not on the Swift task pool, so
/// a busy pool on either side cannot make a live peer look dead. The decoder
/// drops empty frames: they never reach the handshake or the cipher.
///
/// Why it matters: one key keeps one connection, the established one while
/// it is alive (see `Transport`), so a dead connection must be closed for the
/// member to get its slot back.
enum KeepAlive {
    static let frame: [UInt8] = [0, 0, 0, 0]

    /// At the head of the pipeline: its writes go to the socket as they are,
    /// whole, between two frames of the encoder's.
    final class Sender: ChannelDuplexHandler, @unchecked Sendable {
        typealias InboundIn = ByteBuffer
        typealias InboundOut = ByteBuffer
        typealias OutboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer
        let interval: TimeAmount
        /// Touched only on the channel's event loop.
        private var task: RepeatedTask?

        init(interval: TimeAmount) { self.interval = interval }

        func handlerAdded(context: ChannelHandlerContext) {
            if context.channel.isActive { start(context) }
        }

        func channelActive(context: ChannelHandlerContext) {
            start(context)
            context.fireChannelActive()
        }

        func channelInactive(context: ChannelHandlerContext) {
            stop()
            context.fireChannelInactive()
        }

        func handlerRemoved(context: ChannelHandlerContext) { stop() }

        private func start(_ context: ChannelHandlerContext) {
            guard task == nil else { return }
            let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
            task = context.eventLoop.scheduleRepeatedTask(initialDelay: interval, delay: interval) { _ in
                let context = loopBound.value
                context.writeAndFlush(NIOAny(context.channel.allocator.buffer(bytes: KeepAlive.frame)), promise: nil)
            }
        }

        private func stop() {
            task?.cancel()
            task = nil
        }
    }

    /// Closes the connection on NIO's read-idle event (see `IdleStateHandler`).
    final class SilenceDetector: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        typealias InboundOut = ByteBuffer

        func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
            if let idle = event as? IdleStateHandler.IdleStateEvent, idle == .read {
                context.close(promise: nil)
                return
            }
            context.fireUserInboundEventTriggered(event)
        }
    }
}
