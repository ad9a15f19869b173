import Foundation

/// A subscriber to a node's `/v1/events` over a plain socket: subscribed
/// when created, so nothing the node says afterwards is missed.
public final class EventStreamReader: @unchecked Sendable {
    let socket: LoopbackSocket

    /// `api`: host:port.
    public init(api: String, timeoutSeconds: Int = 60) throws {
        let parts = api.split(separator: ":")
        socket = try LoopbackSocket(host: String(parts[0]), port: Int(parts[1])!, receiveTimeoutSeconds: timeoutSeconds)
        socket.send(Array("GET /v1/events HTTP/1.1\r\nHost: \(api)\r\nAccept: text/event-stream\r\n\r\n".utf8))
    }

    /// Text read past the response's headers, not yet handed out.
    private var pending = ""

    /// Waits (on a thread of its own) until the response's headers arrived:
    /// the node has the subscription from then on. False if the stream ended
    /// or went quiet. One reader at a time.
    public func awaitHeaders() async -> Bool {
        await offThePool { self.awaitHeadersBlocking() }
    }

    private func awaitHeadersBlocking() -> Bool {
        while !pending.contains("\r\n\r\n") {
            guard let chunk = socket.receiveBlocking(), !chunk.isEmpty else { return false }
            pending += String(decoding: chunk, as: UTF8.self)
        }
        return true
    }

    /// Reads (on a thread of its own) until an `event: name` frame has fully
    /// arrived; returns its data line, or nil if the stream ended or went
    /// quiet for the timeout first. One reader at a time.
    public func next(_ name: String) async -> String? {
        await offThePool { self.nextBlocking(name) }
    }

    private func nextBlocking(_ name: String) -> String? {
        var text = pending
        pending = ""
        while true {
            if let start = text.range(of: "event: \(name)\n"),
               let end = text.range(of: "\n\n", range: start.upperBound..<text.endIndex) {
                let frame = text[start.upperBound..<end.lowerBound]
                return frame.split(separator: "\n").first { $0.hasPrefix("data: ") }.map { String($0.dropFirst(6)) }
            }
            guard let chunk = socket.receiveBlocking(), !chunk.isEmpty else { return nil }
            text += String(decoding: chunk, as: UTF8.self)
        }
    }
}
