import BatonPluginKit
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The interpreter's two-way link to its own chain node (Metronome): a poller
/// keeps a snapshot of the best chain from the last checkpoint up; calls that
/// answered *pending* wait here (bounded) until the snapshot lets them answer;
/// certificates are delivered to the chain node, retried until it answers.
///
/// All network I/O runs on this link's task, never on the host's call thread.
/// After `stop()` returns nothing is completed any more: the host's pending
/// tokens die with the instance.
final class ChainLink: @unchecked Sendable {
    // @unchecked: every mutable field is guarded by `lock`.
    private let lock = NSLock()
    private var snapshot: ChainSnapshot?
    private var floor: UInt64 = 0
    private var waiters: [Waiter] = []
    private var outbox: [[UInt8]] = []
    private var stopped = false
    private var lastTip: String = ""
    private var lastFetchMs: UInt64 = 0

    private let base: String
    private let pollMs: UInt64
    private let host: BatonHost
    private let session: URLSession

    /// Called with the newest snapshot (nil if the chain node was never
    /// reached) and whether the deadline passed; returns true once it has
    /// answered. Must answer when `expired`.
    typealias Attempt = @Sendable (ChainSnapshot?, _ expired: Bool) -> Bool

    private struct Waiter {
        let deadlineMs: UInt64
        let attempt: Attempt
    }

    init(chain: String, pollMs: UInt64, host: BatonHost) {
        base = "http://\(chain)"
        self.pollMs = max(pollMs, 10)
        self.host = host
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = 2
        session = URLSession(configuration: configuration)
        Task { [weak self] in
            while let self, !self.isStopped {
                await self.tick()
                try? await Task.sleep(for: .milliseconds(self.pollMs))
            }
        }
    }

    /// Ends the link: the poller exits at its next turn (within `pollMs`
    /// plus a request's 2 s timeout). Never cancels the task: on Linux,
    /// cancelling a task whose URLSession request is completing deadlocks
    /// (the task's cancellation lock against the session's queue) — seen as a
    /// node hanging forever in shutdown while destroying this plugin.
    func stop() {
        lock.withLock {
            stopped = true
            waiters.removeAll()
        }
    }

    private var isStopped: Bool { lock.withLock { stopped } }

    var current: ChainSnapshot? { lock.withLock { snapshot } }

    /// Heights below the last committed checkpoint are of no interest.
    func setFloor(_ height: UInt64) { lock.withLock { floor = height } }

    /// Registers a pending answer; the next snapshots are offered to it.
    func wait(timeoutMs: UInt64, _ attempt: @escaping Attempt) {
        lock.withLock { waiters.append(Waiter(deadlineMs: Self.nowMs() + timeoutMs, attempt: attempt)) }
    }

    func deliver(_ certificate: [UInt8]) { lock.withLock { outbox.append(certificate) } }

    private func tick() async {
        await poll()
        // Offer the snapshot to every waiter, under the lock so stop() cannot
        // interleave with a completion.
        lock.withLock {
            guard !stopped else { return }
            let now = Self.nowMs()
            waiters.removeAll { $0.attempt(snapshot, now >= $0.deadlineMs) }
        }
        await flush()
    }

    private func poll() async {
        guard let tip = await getJSON("\(base)/chain/tip"),
              let height = (tip["height"] as? NSNumber)?.uint64Value, let tipHash = tip["hash"] as? String else { return }
        let now = Self.nowMs()
        let (floor, stale) = lock.withLock { (self.floor, tipHash != lastTip || now - lastFetchMs > 2_000) }
        guard stale else { return }
        let from = max(floor, height > 511 ? height - 511 : 0)
        guard let page = await getJSON("\(base)/chain/headers?from=\(from)&count=\(height - from + 1)"),
              let headers = page["headers"] as? [[String: Any]] else { return }
        var blocks: [UInt64: ChainSnapshot.Block] = [:]
        var tipTimestamp: UInt64 = 0
        for header in headers {
            guard let h = (header["height"] as? NSNumber)?.uint64Value, let hex = header["hash"] as? String,
                  let hash = Self.bytes(hex), let ts = (header["timestampMs"] as? NSNumber)?.uint64Value else { continue }
            blocks[h] = ChainSnapshot.Block(hash: hash, timestampMs: ts)
            if h == height { tipTimestamp = ts }
        }
        lock.withLock {
            snapshot = ChainSnapshot(tipHeight: height, tipTimestampMs: tipTimestamp, blocks: blocks)
            lastTip = tipHash
            lastFetchMs = now
        }
    }

    private func flush() async {
        guard let certificate = lock.withLock({ outbox.first }) else { return }
        var request = URLRequest(url: URL(string: "\(base)/chain/checkpoint")!)
        request.httpMethod = "POST"
        request.httpBody = Data(certificate)
        guard let (data, response) = try? await session.data(for: request),
              let status = (response as? HTTPURLResponse)?.statusCode else { return }  // unreachable: retry next tick
        // After stop() the host may be gone: no callbacks into it.
        if status != 200, !isStopped {
            host.log(.error, "chain node refused a checkpoint certificate: \(String(decoding: data, as: UTF8.self))")
        }
        lock.withLock { if outbox.first == certificate { outbox.removeFirst() } }
    }

    private func getJSON(_ url: String) async -> [String: Any]? {
        guard let (data, response) = try? await session.data(from: URL(string: url)!),
              (response as? HTTPURLResponse)?.statusCode == 200 else { return nil }
        return try? JSONSerialization.jsonObject(with: data) as? [String: Any]
    }

    static func bytes(_ hex: String) -> [UInt8]? {
        let digits = Array(hex.utf8)
        guard digits.count == 64 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(32)
        for i in stride(from: 0, to: 64, by: 2) {
            guard let byte = UInt8(String(decoding: digits[i..<i + 2], as: UTF8.self), radix: 16) else { return nil }
            out.append(byte)
        }
        return out
    }

    static func nowMs() -> UInt64 { UInt64(Date().timeIntervalSince1970 * 1_000) }
}
