import Foundation
import PluginHost
import Testing

/// A block context for tests: height h, view h, a recognisable parent id.
func context(height: UInt64, pending: [[UInt8]] = [], proposer: [UInt8] = [UInt8](repeating: 3, count: 33))
    -> BlockContext
{
    BlockContext(height: height, view: height, timestampMs: 1_700_000_000_000 + height,
                 blockID: [UInt8](repeating: UInt8(truncatingIfNeeded: height), count: 32),
                 parentID: [UInt8](repeating: UInt8(truncatingIfNeeded: height &- 1), count: 32),
                 proposer: proposer, pendingPayloads: pending)
}

extension Array where Element == UInt8 {
    init(_ text: String) { self = Array(text.utf8) }
    var text: String { String(decoding: self, as: UTF8.self) }
}

/// Awaits the next value of a stream: late answers are events, not sleeps.
func next<T>(_ iterator: inout AsyncStream<T>.Iterator) async -> T? { await iterator.next() }
