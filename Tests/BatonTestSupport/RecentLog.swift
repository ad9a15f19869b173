import Foundation
import Logging
import Synchronization

/// The last lines a `LocalCluster`'s nodes logged at info and above, so a test
/// that fails can print what the nodes said: in CI that is the only evidence
/// of a rare failure (the nodes print only warnings, or every suite's output
/// would drown the report). Bounded: `linesMax` lines, the oldest dropped.
public final class RecentLog: Sendable {
    public static let linesMax = 3_000
    private let ring = Mutex<(lines: [String], next: Int)>(([], 0))

    public init() {}

    func append(_ line: String) {
        ring.withLock { ring in
            if ring.lines.count < Self.linesMax {
                ring.lines.append(line)
            } else {
                ring.lines[ring.next] = line
                ring.next = (ring.next + 1) % Self.linesMax
            }
        }
    }

    /// Oldest first; at most the last `count`.
    public func lines(last count: Int = RecentLog.linesMax) -> [String] {
        let all = ring.withLock { Array($0.lines[$0.next...] + $0.lines[..<$0.next]) }
        return Array(all.suffix(count))
    }

    /// A handler for one node's logger, writing here.
    func handler(label: String) -> some LogHandler { Handler(label: label, log: self) }

    struct Handler: LogHandler {
        let label: String
        let log: RecentLog
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .info

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(level: Logger.Level, message: Logger.Message, metadata explicit: Logger.Metadata?,
                 source: String, file: String, function: String, line: UInt) {
            let merged = metadata.merging(explicit ?? [:]) { $1 }
            let fields = merged.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
            let ms = Int(Date().timeIntervalSince1970 * 1_000) % 100_000_000
            log.append("\(ms) \(level) \(label) \(message)\(fields.isEmpty ? "" : " " + fields)")
        }
    }
}
