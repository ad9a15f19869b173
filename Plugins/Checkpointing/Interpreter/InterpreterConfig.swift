import BatonPluginKit
import Foundation

/// The interpreter's configuration: `key = value` lines, so the federation's
/// shared settings (genesis `pluginConfig`: interval, depth) and a node's own
/// (node.toml `plugin_config`: its chain node's address) concatenate; a later
/// line overrides an earlier one.
///
/// | key | meaning | default |
/// | --- | --- | --- |
/// | `chain` | this member's own chain node, host:port | 127.0.0.1:8600 |
/// | `interval` | checkpoint every `interval` blocks (interval policy) | 5 |
/// | `depth` | a candidate must be buried under this many blocks | 3 |
/// | `every` | checkpoint heights are multiples of this (aged policy) | 4 |
/// | `min_age_ms` | a candidate must be this old by the chain's clock (aged policy) | 2000 |
/// | `validate_wait_ms` | how long validation waits for the chain node to see a candidate | 4000 |
/// | `poll_ms` | how often the chain node is polled | 100 |
struct InterpreterConfig: Sendable {
    var chain = "127.0.0.1:8600"
    var values: [String: UInt64] = [:]

    init(_ bytes: [UInt8]) throws {
        let text = String(decoding: bytes, as: UTF8.self)
        for (number, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false)[0].trimmingCharacters(in: .whitespaces)
            if line.isEmpty { continue }
            let parts = line.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2, !parts[0].isEmpty else {
                throw PluginFailure("checkpointing config line \(number + 1): expected key = value, got \"\(line)\"")
            }
            if parts[0] == "chain" {
                guard parts[1].split(separator: ":").count == 2 else {
                    throw PluginFailure("checkpointing config: chain = \"\(parts[1])\" is not host:port")
                }
                chain = parts[1]
            } else {
                guard Self.known.contains(parts[0]) else {
                    throw PluginFailure("checkpointing config: unknown key \"\(parts[0])\" (known: chain, \(Self.known.sorted().joined(separator: ", ")))")
                }
                guard let value = UInt64(parts[1]) else {
                    throw PluginFailure("checkpointing config: \(parts[0]) = \"\(parts[1])\" is not a non-negative integer")
                }
                values[parts[0]] = value
            }
        }
    }

    static let known: Set<String> = ["interval", "depth", "every", "min_age_ms", "validate_wait_ms", "poll_ms"]

    func value(_ key: String, default fallback: UInt64) -> UInt64 { values[key] ?? fallback }
}
