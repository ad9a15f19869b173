import Foundation
import Logging
import Synchronization

/// Structured log lines appended to a file (the node's `node.log` in its data
/// folder): `time level label message key=value …`. Writes are serialized.
public struct FileLogHandler: LogHandler {
    final class Sink: Sendable {
        let handle: Mutex<FileHandle?>
        init(path: String) {
            if !FileManager.default.fileExists(atPath: path) { FileManager.default.createFile(atPath: path, contents: nil) }
            let handle = FileHandle(forWritingAtPath: path)
            _ = try? handle?.seekToEnd()
            self.handle = Mutex(handle)
        }
        func write(_ line: String) { handle.withLock { _ = try? $0?.write(contentsOf: Data(line.utf8)) } }
    }

    let label: String
    let sink: Sink
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .info

    public init(label: String, path: String) {
        self.label = label
        sink = Sink(path: path)
    }

    init(label: String, sink: Sink) {
        self.label = label
        self.sink = sink
    }

    /// One sink shared by every logger of the process.
    public static func factory(path: String, level: Logger.Level) -> @Sendable (String) -> any LogHandler {
        let sink = Sink(path: path)
        return { label in
            var handler = FileLogHandler(label: label, sink: sink)
            handler.logLevel = level
            return handler
        }
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(level: Logger.Level, message: Logger.Message, metadata explicit: Logger.Metadata?,
                    source: String, file: String, function: String, line: UInt) {
        let merged = metadata.merging(explicit ?? [:]) { $1 }
        let fields = merged.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        let time = ISO8601DateFormatter().string(from: Date())
        sink.write("\(time) \(level) \(label) \(message)\(fields.isEmpty ? "" : " " + fields)\n")
    }
}
