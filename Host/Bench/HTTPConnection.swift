import Foundation

/// One keep-alive HTTP/1.1 connection on a plain blocking socket, for the
/// load generator: requests go back to back on the same connection, each
/// answered before the next is written.
///
/// Why not URLSession: on Linux it runs every request through libcurl and
/// dispatch queues; profiled in `baton bench cluster` its thread switches
/// alone took a fifth of the load generator's CPU, which the nodes needed.
/// Blocking calls: use it from a thread of its own, never from the
/// cooperative pool.
final class HTTPConnection {
    struct Reply {
        let status: Int
        let body: [UInt8]
    }

    enum Failure: Error, CustomStringConvertible {
        case connect(String), closed, malformed(String)
        var description: String {
            switch self {
            case .connect(let api): "cannot connect to \(api)"
            case .closed: "the server closed the connection"
            case .malformed(let what): "malformed HTTP response: \(what)"
            }
        }
    }

    let api: String
    let fd: Int32
    private var buffer: [UInt8] = []

    /// `api` is host:port (IPv4).
    init(api: String) throws {
        self.api = api
        fd = try Self.connect(api)
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
    }

    deinit { close(fd) }

    static func connect(_ api: String) throws -> Int32 {
        let parts = api.split(separator: ":")
        guard parts.count == 2, let port = UInt16(parts[1]) else { throw Failure.connect(api) }
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure.connect(api) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(port.bigEndian)
        address.sin_addr.s_addr = inet_addr(String(parts[0]))
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else {
            close(fd)
            throw Failure.connect(api)
        }
        return fd
    }

    /// Writes the request and reads its whole reply (Content-Length or chunked).
    func request(_ method: String, _ path: String, body: [UInt8] = [],
                 contentType: String = "application/octet-stream") throws -> Reply {
        var head = "\(method) \(path) HTTP/1.1\r\nHost: \(api)\r\nContent-Length: \(body.count)\r\n"
        if !body.isEmpty { head += "Content-Type: \(contentType)\r\n" }
        head += "\r\n"
        try write(Array(head.utf8))
        if !body.isEmpty { try write(body) }
        return try readReply()
    }

    private func write(_ bytes: [UInt8]) throws {
        var sent = 0
        while sent < bytes.count {
            let n = bytes.withUnsafeBytes { send(fd, $0.baseAddress! + sent, $0.count - sent, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw Failure.closed }
            sent += n
        }
    }

    /// Reads more bytes into the buffer; throws when the peer closed.
    private func fill() throws {
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        let n = recv(fd, &chunk, chunk.count, 0)
        guard n > 0 else { throw Failure.closed }
        buffer.append(contentsOf: chunk[0..<n])
    }

    private func readReply() throws -> Reply {
        var end: Int?
        while end == nil {
            end = Self.find([13, 10, 13, 10], in: buffer, from: 0)
            if end == nil { try fill() }
        }
        let headEnd = end!
        let head = String(decoding: buffer[..<headEnd], as: UTF8.self)
        buffer.removeFirst(headEnd + 4)
        let lines = head.split(separator: "\r\n")
        guard let statusLine = lines.first, statusLine.hasPrefix("HTTP/1."),
              let status = Int(statusLine.split(separator: " ").dropFirst().first ?? "") else {
            throw Failure.malformed("status line \(lines.first ?? "")")
        }
        var length: Int?
        var chunked = false
        for line in lines.dropFirst() {
            let lower = line.lowercased()
            if lower.hasPrefix("content-length:") { length = Int(lower.dropFirst(15).trimmingCharacters(in: .whitespaces)) }
            if lower.hasPrefix("transfer-encoding:"), lower.contains("chunked") { chunked = true }
        }
        if chunked { return Reply(status: status, body: try readChunked()) }
        let count = length ?? 0
        while buffer.count < count { try fill() }
        let body = Array(buffer[..<count])
        buffer.removeFirst(count)
        return Reply(status: status, body: body)
    }

    private func readChunked() throws -> [UInt8] {
        var body: [UInt8] = []
        while true {
            var lineEnd = Self.find([13, 10], in: buffer, from: 0)
            while lineEnd == nil {
                try fill()
                lineEnd = Self.find([13, 10], in: buffer, from: 0)
            }
            let sizeText = String(decoding: buffer[..<lineEnd!], as: UTF8.self).split(separator: ";").first ?? ""
            guard let size = Int(sizeText.trimmingCharacters(in: .whitespaces), radix: 16) else {
                throw Failure.malformed("chunk size \(sizeText)")
            }
            buffer.removeFirst(lineEnd! + 2)
            while buffer.count < size + 2 { try fill() }
            body.append(contentsOf: buffer[..<size])
            buffer.removeFirst(size + 2)
            if size == 0 { return body }
        }
    }

    /// The first index at or after `start` where `marker` begins.
    static func find(_ marker: [UInt8], in buffer: [UInt8], from start: Int) -> Int? {
        guard buffer.count >= marker.count, start <= buffer.count - marker.count else { return nil }
        return buffer.withUnsafeBufferPointer { bytes in
            var i = start
            while i <= bytes.count - marker.count {
                if bytes[i] == marker[0], marker.indices.allSatisfy({ bytes[i + $0] == marker[$0] }) { return i }
                i += 1
            }
            return nil
        }
    }
}
