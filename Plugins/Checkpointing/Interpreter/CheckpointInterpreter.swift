import BatonPluginKit
import Foundation

/// The checkpointing interpreter (Metronome): bridges the federation and this
/// member's own proof-of-work chain node.
///
/// - produce: the policy's candidate on the local best chain, or an empty
///   payload (an idle round agrees on no checkpoint instead of timing out);
///   *pending* while the chain node was never reached (bounded).
/// - validate: the candidate must be the policy's next height, on the local
///   best chain, deep enough, extending the previous checkpoint; *pending*
///   while the local chain node does not show it, then rejected.
/// - commit: records the checkpoint and hands the chain node a certificate:
///   the payload plus the host's finality proof (ABI 1.1).
/// - query: the latest checkpoint, its certificate (hex) and the count.
///
/// Replicated state (hashed): the last checkpoint and the count. Certificates
/// are kept too (under "cert/") but not hashed: each node's proof may carry a
/// different, equally valid QC.
final class CheckpointInterpreter<Policy: CheckpointPolicy>: BatonApplication {
    private static var lastKey: [UInt8] { Array("last".utf8) }
    private static var countKey: [UInt8] { Array("count".utf8) }
    private static func certificateKey(_ height: UInt64) -> [UInt8] { Array("cert/".utf8) + withUnsafeBytes(of: height.bigEndian) { Array($0) } }

    private let host: BatonHost
    private let policy: Policy
    private let link: ChainLink
    private let waitMs: UInt64

    init(config: [UInt8], host: BatonHost) throws {
        let settings = try InterpreterConfig(config)
        policy = try Policy(settings)
        waitMs = settings.value("validate_wait_ms", default: 4_000)
        self.host = host
        link = ChainLink(chain: settings.chain, pollMs: settings.value("poll_ms", default: 100), host: host)
        if let last = try committedLast() {
            link.setFloor(last.height)
            // The delivery queue is not durable: hand the chain node the latest
            // certificate again (it ignores one it already holds).
            if let certificate = try host.get(Self.certificateKey(last.height)) { link.deliver(certificate) }
        }
    }

    deinit { link.stop() }

    func checkTransaction(_ transaction: [UInt8]) throws -> TransactionVerdict {
        .reject("the checkpointing interpreter takes no transactions: candidates come from the chain")
    }

    func produceBlock(_ block: BatonBlock, candidates: [[UInt8]], pending: PendingAnswer) throws -> Production {
        let last = try lastCheckpoint(before: block)
        if let chain = link.current {
            return .payload(policy.candidate(after: last, on: chain)?.encoded ?? [], included: [])
        }
        // No chain data yet: answer when it arrives, or with an empty block.
        let policy = self.policy
        link.wait(timeoutMs: waitMs) { chain, expired in
            guard let chain else { return expired && pending.produced([]) || expired }
            pending.produced(policy.candidate(after: last, on: chain)?.encoded ?? [])
            return true
        }
        return .pending
    }

    func validateBlock(_ block: BatonBlock, payload: [UInt8], pending: PendingAnswer) throws -> Validation {
        if payload.isEmpty { return .valid }
        guard let candidate = CheckpointPayload(payload) else { return .invalid("not a checkpoint payload") }
        let last = try lastCheckpoint(before: block)
        if let chain = link.current {
            switch policy.judge(candidate, after: last, on: chain) {
            case .valid: return .valid
            case .invalid(let reason): return .invalid(reason)
            case .notYet: break
            }
        }
        // Metronome's asynchronous answer: wait (bounded) for the local chain
        // node to show the candidate.
        let policy = self.policy
        link.wait(timeoutMs: waitMs) { chain, expired in
            guard let chain else {
                if expired { pending.invalid("the local chain node is unreachable") }
                return expired
            }
            switch policy.judge(candidate, after: last, on: chain) {
            case .valid: pending.valid()
            case .invalid(let reason): pending.invalid(reason)
            case .notYet(let reason):
                guard expired else { return false }
                pending.invalid(reason)
            }
            return true
        }
        return .pending
    }

    func commitBlock(_ block: BatonBlock, payload: [UInt8]) throws -> [UInt8] {
        var count = try host.get(Self.countKey).map(Self.decodeCount) ?? 0
        if !payload.isEmpty {
            guard let checkpoint = CheckpointPayload(payload) else {
                throw PluginFailure("finalized block \(block.height) carries a malformed checkpoint payload")
            }
            count += 1
            try host.put(Self.lastKey, payload)
            try host.put(Self.countKey, withUnsafeBytes(of: count.bigEndian) { Array($0) })
            if block.finalityProof.isEmpty {
                host.log(.warning, "the host gave no finality proof (ABI 1.0 host?): no certificate for checkpoint #\(checkpoint.height)")
            } else {
                let certificate = CertificateEnvelope.encode(payload: payload, finalityProof: block.finalityProof)
                try host.put(Self.certificateKey(checkpoint.height), certificate)
                link.deliver(certificate)
            }
            link.setFloor(checkpoint.height)
            host.log(.info, "checkpoint #\(checkpoint.height) \(checkpoint.hex.prefix(12)) final in Baton block \(block.height)")
        }
        return try stateHash()
    }

    func query(_ request: [UInt8]) throws -> [UInt8] {
        let count = try host.get(Self.countKey).map(Self.decodeCount) ?? 0
        guard let last = try committedLast() else { return Array("{\"count\":0,\"latest\":null}".utf8) }
        let certificate = try host.get(Self.certificateKey(last.height)) ?? []
        let hex = certificate.map { String($0, radix: 16).leftPadded() }.joined()
        return Array("{\"count\":\(count),\"latest\":{\"height\":\(last.height),\"hash\":\"\(last.hex)\"},\"certificate\":\"\(hex)\"}".utf8)
    }

    // MARK: - State

    private func committedLast() throws -> CheckpointPayload? {
        try host.get(Self.lastKey).flatMap(CheckpointPayload.init)
    }

    /// The checkpoint a block builds on: the committed one, advanced by the
    /// non-empty payloads of its pending ancestors.
    private func lastCheckpoint(before block: BatonBlock) throws -> CheckpointPayload? {
        var last = try committedLast()
        for payload in block.pendingPayloads where !payload.isEmpty {
            guard let checkpoint = CheckpointPayload(payload) else { throw PluginFailure("a pending ancestor's payload is malformed") }
            last = checkpoint
        }
        return last
    }

    /// ABI 1.7: the checkpoint state's hash is a function of two stored
    /// keys, so a restored snapshot can prove it is the certified state.
    func stateHashFromStore() throws -> [UInt8]? { try stateHash() }

    private func stateHash() throws -> [UInt8] {
        let last = try host.get(Self.lastKey) ?? []
        let count = try host.get(Self.countKey) ?? []
        return host.sha256(Array("baton-checkpointing/1".utf8) + [UInt8(last.count)] + last + count)
    }

    private static func decodeCount(_ bytes: [UInt8]) -> UInt64 { bytes.reduce(0) { $0 << 8 | UInt64($1) } }
}
