/// `GET /v1/stages`: where committed transactions' time went on this node —
/// per stage, percentiles in milliseconds ("p50", "p99", …).
public struct StageTimesReport: Codable, Sendable, Hashable {
    public var samples: Int
    public var fromHeight: UInt64
    public var stagesMs: [String: [String: Int]]

    public init(samples: Int, fromHeight: UInt64, stagesMs: [String: [String: Int]]) {
        (self.samples, self.fromHeight, self.stagesMs) = (samples, fromHeight, stagesMs)
    }
}
