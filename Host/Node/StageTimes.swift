import Consensus

/// Where a committed transaction's time went on this node, stage by stage
/// (issue 18: measure before optimizing). Each committed transaction leaves
/// one sample; `GET /v1/stages` and `baton bench cluster` read percentiles.
///
/// Stages, in milliseconds of this node's clock (the proposer's for the
/// proposal time — one clock on one machine, as the benchmark runs):
/// - `mempool`: admitted to this node's mempool → proposed (the block's
///   timestamp); only for transactions this node held.
/// - `certify`: proposed → this node saw the block's QC (it formed it from
///   votes, or it came with the next proposal or a timeout).
/// - `finalize`: QC seen → the 2-chain finalized the block here.
/// - `commit`: finalized → the app committed it and the store wrote it.
/// - `event`: committed → the finalized event was handed to subscribers.
///
/// Bounds: the newest `samplesMax` samples; certification times of the
/// newest `certifiedMax` blocks.
public struct StageTimes: Sendable {
    public static let stages = ["mempool", "certify", "finalize", "commit", "event"]
    public static let samplesMax = 65_536
    static let certifiedMax = 4_096

    /// One committed transaction: milliseconds per stage, -1 where unknown.
    /// Plain fields, no array: a sample per transaction must not allocate.
    struct Sample {
        let height: Height
        let mempool, certify, finalize, commit, event: Int32

        func ms(_ stage: Int) -> Int32 {
            switch stage {
            case 0: mempool
            case 1: certify
            case 2: finalize
            case 3: commit
            default: event
            }
        }
    }

    private var samples: [Sample] = []
    private var next = 0
    private var certifiedAt: [BlockID: UInt64] = [:]
    private var certifiedOrder: [BlockID] = []

    public init() {}

    /// The first time this node saw a QC for `block`.
    mutating func certified(_ block: BlockID, atMs now: UInt64) {
        guard certifiedAt[block] == nil else { return }
        certifiedAt[block] = now
        certifiedOrder.append(block)
        if certifiedOrder.count > Self.certifiedMax {
            let drop = certifiedOrder.count - Self.certifiedMax / 2
            for id in certifiedOrder.prefix(drop) { certifiedAt[id] = nil }
            certifiedOrder.removeFirst(drop)
        }
    }

    /// One sample per transaction of `block`: `admittedMs` (nil: not in this
    /// node's mempool), and when the block was finalized, committed and its
    /// event handed over.
    mutating func committed(_ block: Block, admittedMs: [UInt64?], finalizedMs: UInt64, committedMs: UInt64, eventMs: UInt64) {
        let certified = certifiedAt[block.id]
        func span(_ from: UInt64?, _ to: UInt64?) -> Int32 {
            guard let from, let to else { return -1 }
            return Int32(clamping: to >= from ? to - from : 0)
        }
        let certify = span(block.timestampMs, certified), finalize = span(certified, finalizedMs)
        let commit = span(finalizedMs, committedMs), event = span(committedMs, eventMs)
        if samples.isEmpty { samples.reserveCapacity(Self.samplesMax) }
        for admitted in admittedMs {
            let sample = Sample(height: block.height, mempool: span(admitted, block.timestampMs), certify: certify,
                                finalize: finalize, commit: commit, event: event)
            if samples.count < Self.samplesMax {
                samples.append(sample)
            } else {
                samples[next] = sample
                next = (next + 1) % Self.samplesMax
            }
        }
        certifiedAt[block.id] = nil
    }

    /// Per stage: p50, p90, p99 and max (ms) over the samples of blocks at
    /// or above `fromHeight`, and how many samples that was.
    public func percentiles(fromHeight: Height = 0) -> (samples: Int, stages: [String: [String: Int]]) {
        let chosen = samples.filter { $0.height >= fromHeight }
        var stages: [String: [String: Int]] = [:]
        for (index, name) in Self.stages.enumerated() {
            let values = chosen.map { Int($0.ms(index)) }.filter { $0 >= 0 }.sorted()
            guard !values.isEmpty else { continue }
            func pick(_ q: Double) -> Int { values[min(values.count - 1, Int(Double(values.count) * q))] }
            stages[name] = ["p50": pick(0.5), "p90": pick(0.9), "p99": pick(0.99), "max": values[values.count - 1],
                            "samples": values.count]
        }
        return (chosen.count, stages)
    }
}
