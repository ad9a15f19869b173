import BatonAPI
import BatonConsole
import ArgumentParser
import BatonCrypto
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Node
import NodeHTTP
import Synchronization

/// `baton bench cluster`: a real cluster (N `baton node` processes on
/// loopback, RocksDB with sync writes, the kvstore plugin) under a load
/// generator that submits batches over HTTP (`POST /v1/txs`) and times every
/// transaction from submission to the finalized block that carries it (from
/// node 0's event stream, `/v1/events?transactions=1`).
public struct ClusterBench: AsyncParsableCommand {
    public init() {}

    public static let configuration = CommandConfiguration(
        commandName: "cluster",
        abstract: "Committed tx/s and commit latency of a real multi-process cluster under load.",
        discussion: """
            Closed loop by default: --clients keep at most --window transactions outstanding. With --rate, \
            open loop at that many tx/s. Figures count the steady window after --warmup.
            """)

    @Option(help: "Committee size.") var nodes = 4
    @Option(help: "Seconds measured, after the warmup.") var duration = 20
    @Option(help: "Seconds of load before measuring.") var warmup = 5
    @Option(help: "Most transactions per block.") var batch = 400
    @Option(help: "Bytes per transaction (at least 12).") var txBytes = 32
    @Option(help: "Concurrent submitting clients (spread over the nodes).") var clients = 4
    @Option(help: "Closed loop: transactions outstanding at most.") var window = 4_000
    @Option(help: "Open loop: submit this many tx/s instead of a closed loop.") var rate: Int?
    @Option(help: "Transactions per HTTP request.") var requestSize = 256
    @Option(help: "The load generator's HTTP client: socket (a keep-alive connection per client) or urlsession.")
    var httpClient: HTTPClient = .socket
    @Flag(help: "Write safety data without fsync (to measure what the fsync costs).") var noSync = false
    @Option(help: "Keep the blocks of the newest N finalized heights (node.toml [storage] retain_blocks; pruning A/B). Each node's disk is sampled every 10 s.")
    var retainBlocks: UInt64?
    @Option(help: "Each client's keys cycle through this many (the app state stays bounded); default: every transaction a new key.")
    var keySpace: Int?
    @Option(help: "Write the results as JSON to this file.") var json: String?
    @Option(help: "First consensus port (APIs at +100).") var basePort = 7500
    @Option(help: ArgumentHelp("Drive a running federation instead of starting one: its nodes' APIs, comma-separated, node 0 first (its event stream times the transactions). --nodes, --batch and --no-sync are then the federation's own (its node.toml); CPU and RSS are not measured.", valueName: "host:port,…"))
    var apis: String?
    @Option(parsing: .singleValue, help: ArgumentHelp("Kill -9 member NODE at SECOND of the measured window (repeatable; not node 0, whose event stream times the transactions).", valueName: "NODE@SECOND"))
    var kill: [String] = []
    @Option(parsing: .singleValue, help: ArgumentHelp("Start killed member NODE again at SECOND of the measured window (repeatable).", valueName: "NODE@SECOND"))
    var restart: [String] = []
    @Option(parsing: .singleValue, help: ArgumentHelp("Kill -9 member NODE at SECOND of the measured window, delete its data directory and start it again at once (repeatable): with --retain-blocks and --snapshot-interval it comes back by state sync.", valueName: "NODE@SECOND"))
    var wipe: [String] = []
    @Option(help: "Snapshot every N finalized heights (node.toml [storage] snapshot_interval): what a wiped member restores.")
    var snapshotInterval: UInt64?
    @Option(help: "Cap on the snapshot chunks each member serves, bytes/s (node.toml [storage] snapshot_serve_bytes_per_second).")
    var snapshotServeBytesPerSecond: UInt64?
    @Option(help: "The cluster's leader election: reputation or weighted-random (for A/B).") var leaderElection = "reputation"
    @Option(help: "How the nodes run the plugin: in-process or process (node.toml plugin_isolation, for A/B).") var pluginIsolation = "in-process"

    public func validate() throws {
        guard (1...16).contains(nodes) else { throw ValidationError("--nodes must be 1…16") }
        guard txBytes >= 12, txBytes <= 1_000 else { throw ValidationError("--tx-bytes must be 12…1000") }
        guard PluginIsolation.names.contains(pluginIsolation) else {
            throw ValidationError("--plugin-isolation must be one of \(PluginIsolation.names.joined(separator: ", "))")
        }
        guard batch >= 1, clients >= 1, window >= 1, requestSize >= 1, duration >= 1, warmup >= 0 else {
            throw ValidationError("--batch, --clients, --window, --request-size and --duration must be positive")
        }
        if let keySpace, keySpace < 1 { throw ValidationError("--key-space must be at least 1") }
        if let retainBlocks {
            guard apis == nil else { throw ValidationError("--retain-blocks configures the benchmark's own cluster, not --apis") }
            _ = try NodeBootstrap.retainedBlocks({ var table = NodeConfig.Storage(); table.retain_blocks = retainBlocks; return table }())
        }
        if !kill.isEmpty || !restart.isEmpty || !wipe.isEmpty {
            guard apis == nil else { throw ValidationError("--kill, --restart and --wipe act on the benchmark's own cluster, not on --apis") }
            _ = try FaultPlan(kills: kill, restarts: restart, wipes: wipe, nodes: nodes, seconds: duration)
        }
        if snapshotInterval != nil || snapshotServeBytesPerSecond != nil {
            guard apis == nil else { throw ValidationError("--snapshot-interval and --snapshot-serve-bytes-per-second configure the benchmark's own cluster, not --apis") }
        }
    }

    public func run() async throws {
        let faults = try FaultPlan(kills: kill, restarts: restart, wipes: wipe, nodes: nodes, seconds: duration)
        let cluster: BenchCluster?
        let apis: [String]
        if let given = self.apis {
            cluster = nil
            apis = given.split(separator: ",").map { String($0) }
        } else {
            let started = try BenchCluster(nodes: nodes, basePort: basePort, leaderElection: leaderElection,
                                           nodeTomlTop: "plugin_isolation = \"\(pluginIsolation)\"\n", nodeToml:
                "\n[mempool]\nbatch_transactions_max = \(batch)\ntransactions_max = \(max(50_000, 4 * window))\nbytes_max = 536870912\n"
                + Self.storageTable(noSync: noSync, retainBlocks: retainBlocks, snapshotInterval: snapshotInterval,
                                    snapshotServeBytesPerSecond: snapshotServeBytesPerSecond))
            cluster = started
            apis = started.apis
        }
        defer { cluster?.stop() }
        let processes = cluster?.processes ?? []
        let size = apis.count
        try await Self.waitUntilConnected(apis)

        let ledger = Ledger()
        var follower: EventFollower?
        for _ in 0..<50 where follower == nil {
            follower = try? EventFollower(api: apis[0], ledger: ledger)
            if follower == nil { try await Task.sleep(for: .milliseconds(200)) }
        }
        guard let follower else { throw ValidationError("node 0's API at \(apis[0]) never answered; see the node logs") }
        follower.start()
        let start = ContinuousClock.now
        let measureFrom = start + .seconds(warmup), measureTo = measureFrom + .seconds(duration)
        ledger.setWindow(from: measureFrom, to: measureTo)
        printLine("bench cluster: \(size) nodes\(self.apis == nil ? ", batch \(batch)" : " at \(apis.joined(separator: " "))"), \(txBytes)-byte transactions, \(rate.map { "open loop \($0) tx/s" } ?? "closed loop, window \(window)"), \(clients) clients, sync writes \(noSync ? "OFF" : "on"), plugin \(pluginIsolation); warmup \(warmup) s, measuring \(duration) s")
        let load = Task { [clients, requestSize, window, rate, txBytes, keySpace, httpClient] in
            await withTaskGroup(of: Void.self) { group in
                for client in 0..<clients {
                    group.addTask {
                        await Self.submit(client: client, apis: apis, ledger: ledger, until: measureTo,
                                          requestSize: requestSize, window: window, rate: rate.map { $0 / clients },
                                          txBytes: txBytes, keySpace: keySpace, http: httpClient)
                    }
                }
            }
        }
        var (cpuAtStart, windowHeight, down, disk, caughtUp) = try await measureWindow(cluster: cluster, apis: apis, ledger: ledger, faults: faults,
                                                                        start: start, from: measureFrom, to: measureTo)
        if cpuAtStart.isEmpty { cpuAtStart = processes.map { Self.cpuSeconds($0.processIdentifier) } + [Self.cpuSeconds(getpid())] }
        let cpu = zip(processes, cpuAtStart).map { Self.cpuSeconds($0.0.processIdentifier) - $0.1 }
        let loadCPU = Self.cpuSeconds(getpid()) - cpuAtStart[processes.count]
        let rss = processes.map { Self.peakRSSMiB($0.processIdentifier) }
        // The clients stop by themselves at the end of the window (cancelling a
        // URLSession request on Linux can leave it never completing).
        await load.value
        // Late commits of transactions submitted in the window still count for latency.
        try await Task.sleep(for: .seconds(2))
        follower.stop()

        let live = apis.indices.filter { !down.contains($0) }.map { apis[$0] }
        let (agree, common) = try await Self.agreement(of: live, awaitingCatchUp: !faults.isEmpty)
        let result = ledger.summary(seconds: Double(duration))
        let (stageRows, stagesJSON) = await Self.stages(of: apis, skipping: down, fromHeight: windowHeight ?? 0)
        var impact = faults.impact(of: ledger.blockLog, from: measureFrom, to: measureTo, caughtUp: caughtUp)
        for node in Set(faults.faults.filter { $0.kind == .wipe }.map(\.node)).sorted() {
            impact.rows.append(["member \(node)'s state sync (its log)", cluster.map { Self.stateSyncLine(of: $0, node: node) } ?? "-"])
        }
        try report(Figures(result: result, unexpected: ledger.unexpected, cpu: cpu, loadCPU: loadCPU, rss: rss, agree: agree,
                           height: common, stageRows: stageRows, stagesJSON: stagesJSON, impact: impact, nodes: size, disk: disk),
                   faulted: Set(faults.faults.map(\.node) + (cluster?.diedOnTheirOwn.map(\.node) ?? [])))
        if !agree { throw ExitCode.failure }
    }

    /// Ticks through the measured window: one progress line a second, the
    /// faults at their seconds, the CPU counters and node 0's height when the
    /// window opens. Returns those, and the members still down at the end.
    func measureWindow(cluster: BenchCluster?, apis: [String], ledger: Ledger, faults: FaultPlan, start: ContinuousClock.Instant,
                       from measureFrom: ContinuousClock.Instant, to measureTo: ContinuousClock.Instant) async throws
        -> (cpuAtStart: [Double], windowHeight: Int?, down: Set<Int>, disk: [DiskSample], caughtUp: [Int: Double?])
    {
        var cpuAtStart: [Double] = []
        var disk: [DiskSample] = []
        var nextDiskSample = measureFrom
        var windowHeight: Int?
        var lastCommitted = 0
        var pendingFaults = faults.faults
        let processes = cluster?.processes ?? []
        var down = Set<Int>()
        // Wiped members still catching up: when, and node 0's height then.
        var catchingUp: [Int: (at: ContinuousClock.Instant, height: Int)] = [:]
        var caughtUp: [Int: Double?] = [:]
        while ContinuousClock.now < measureTo {
            let nextFault = pendingFaults.first.map { measureFrom + .seconds($0.second) }
            let tick = ContinuousClock.now + .seconds(1)
            try await Task.sleep(until: min(tick, nextFault ?? tick))
            while let fault = pendingFaults.first, ContinuousClock.now >= measureFrom + .seconds(fault.second) {
                pendingFaults.removeFirst()
                switch fault.kind {
                case .kill:
                    cluster?.kill(fault.node)
                    down.insert(fault.node)
                case .restart:
                    try cluster?.restart(fault.node)
                    down.remove(fault.node)
                case .wipe:
                    let others = await Self.finalizedHeight(at: apis[0]) ?? 0
                    try cluster?.wipe(fault.node)
                    down.remove(fault.node)
                    catchingUp[fault.node] = (ContinuousClock.now, others)
                    caughtUp[fault.node] = .some(nil)
                }
                printLine("[\(Int((ContinuousClock.now - start).components.seconds))s] \(fault.kind.rawValue) member \(fault.node)")
            }
            guard ContinuousClock.now >= tick else { continue }
            for (node, wiped) in catchingUp {
                guard let reached = await Self.finalizedHeight(at: apis[node]), reached >= wiped.height else { continue }
                let d = ContinuousClock.now - wiped.at
                caughtUp[node] = Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
                catchingUp[node] = nil
                printLine("[\(Int((ContinuousClock.now - start).components.seconds))s] member \(node) reached height \(reached) (the others were at \(wiped.height) at its wipe)")
            }
            if cpuAtStart.isEmpty, ContinuousClock.now >= measureFrom {
                cpuAtStart = processes.map { Self.cpuSeconds($0.processIdentifier) } + [Self.cpuSeconds(getpid())]
                // The stage times count blocks from here on (the measured window).
                windowHeight = await Self.finalizedHeight(at: apis[0])
            }
            let committed = ledger.committedTotal
            var diskNote = ""
            if let cluster, ContinuousClock.now >= nextDiskSample {
                nextDiskSample += .seconds(10)
                let sample = DiskSample(second: Int((ContinuousClock.now - measureFrom).components.seconds),
                                        bytes: (0..<cluster.nodes).map { down.contains($0) ? 0 : cluster.diskBytes($0) })
                disk.append(sample)
                diskNote = ", disk " + sample.bytes.map { String(format: "%.0f", Double($0) / 1_048_576) }.joined(separator: "/") + " MiB"
            }
            printLine("[\(Int((ContinuousClock.now - start).components.seconds))s] committed \(committed) tx (+\(committed - lastCommitted)/s), blocks \(ledger.blocks), outstanding \(ledger.outstanding)\(diskNote)")
            lastCommitted = committed
        }
        return (cpuAtStart, windowHeight, down, disk, caughtUp)
    }

    /// The figures of the wiped member's "restored the snapshot" log line
    /// (height, bytes, seconds, bytes/s), or why there is none.
    static func stateSyncLine(of cluster: BenchCluster, node: Int) -> String {
        let log = (try? String(contentsOfFile: "\(cluster.folder)/node-\(node)/data/node.log", encoding: .utf8)) ?? ""
        guard let line = log.split(separator: "\n").last(where: { $0.contains("state sync: restored the snapshot") }) else {
            return "none (it caught up by block sync)"
        }
        let wanted = ["height=", "bytes=", "seconds=", "bytesPerSecond="]
        let fields = line.split(separator: " ").filter { field in wanted.contains { field.hasPrefix($0) } }
        return fields.joined(separator: " ")
    }

    /// node.toml's `[storage]` table for the run, or nothing.
    static func storageTable(noSync: Bool, retainBlocks: UInt64?, snapshotInterval: UInt64? = nil,
                             snapshotServeBytesPerSecond: UInt64? = nil) -> String {
        let keys = (noSync ? ["sync_writes = false"] : []) + (retainBlocks.map { ["retain_blocks = \($0)"] } ?? [])
            + (snapshotInterval.map { ["snapshot_interval = \($0)"] } ?? [])
            + (snapshotServeBytesPerSecond.map { ["snapshot_serve_bytes_per_second = \($0)"] } ?? [])
        return keys.isEmpty ? "" : "\n[storage]\n" + keys.joined(separator: "\n") + "\n"
    }

    /// What one run measured, for `report`.
    struct Figures {
        let result: Ledger.Summary
        let unexpected: Int
        let cpu: [Double]
        let loadCPU: Double
        let rss: [Double]
        let agree: Bool
        let height: Int
        let stageRows: [[String]]
        let stagesJSON: [[String: Any]]
        let impact: FaultPlan.Impact
        let nodes: Int
        let disk: [DiskSample]
    }

    /// Each node's data directory size at a second of the measured window.
    struct DiskSample {
        let second: Int
        let bytes: [UInt64]

        /// Node `node`'s smallest and largest size over the window's second
        /// half (the pruning target: flat within ±10 % there).
        static func secondHalf(_ samples: [DiskSample], node: Int, duration: Int) -> (min: Double, max: Double)? {
            let half = samples.filter { $0.second * 2 >= duration }.map { Double($0.bytes[node]) / 1_048_576 }
            guard let low = half.min(), let high = half.max() else { return nil }
            return (low, high)
        }
    }

    /// Prints the run's table (and the stage times) and writes `--json`.
    /// `faulted`: members a fault hit or that died on their own, whose per-node figures are "-".
    func report(_ f: Figures, faulted: Set<Int>) throws {
        let committedInWindow = max(1, Int(f.result.txPerSecond * Double(duration)))
        func perNode(_ values: [Double], _ format: (Double) -> String) -> String {
            values.enumerated().map { faulted.contains($0.offset) ? "-" : format($0.element) }.joined(separator: " ")
        }
        let rows = [
            ["committed tx/s", String(format: "%.0f", f.result.txPerSecond)],
            ["blocks/s", String(format: "%.1f", f.result.blocksPerSecond)],
            ["commit latency p50 / p90 / p99 (ms)", String(format: "%.1f / %.1f / %.1f", f.result.p50, f.result.p90, f.result.p99)],
            ["transactions timed", "\(f.result.timed)"],
            ["committed but not outstanding (twice, or refused at submission)", "\(f.unexpected)"],
            // A killed member's process is gone (or another one): "-".
            ["CPU seconds per node (measured window)", perNode(f.cpu) { String(format: "%.1f", $0) }],
            ["CPU µs per committed transaction, per node", perNode(f.cpu) { String(format: "%.0f", $0 * 1e6 / Double(committedInWindow)) }],
            ["CPU seconds of the load generator (\(httpClient.rawValue))", String(format: "%.1f", f.loadCPU)],
            ["peak RSS per node (MiB)", perNode(f.rss) { String(format: "%.0f", $0) }],
            ["every node finalized the same blocks", f.agree ? "yes (up to height \(f.height))" : "NO"],
        ]
        print(Table.render([["what", "figure"]] + rows + diskRows(f.disk, faulted: faulted) + f.impact.rows))
        print("stage times per committed transaction, ms p50/p90/p99 (GET /v1/stages): mempool = admitted here → proposed, "
              + "certify = proposed → QC seen here, finalize = QC → 2-chain final, commit = final → app and store, event = → subscribers")
        print(Table.render([["node"] + StageTimes.stages] + f.stageRows))
        if let json {
            let object: [String: Any] = [
                "nodes": f.nodes, "batch": batch, "txBytes": txBytes, "clients": clients, "window": window,
                "rate": rate as Any, "sync": !noSync, "durationSeconds": duration, "warmupSeconds": warmup,
                "txPerSecond": f.result.txPerSecond, "blocksPerSecond": f.result.blocksPerSecond,
                "latencyMs": ["p50": f.result.p50, "p90": f.result.p90, "p99": f.result.p99], "timed": f.result.timed, "unexpectedCommits": f.unexpected,
                "cpuSeconds": f.cpu, "stages": f.stagesJSON, "fault": f.impact.json, "loadGeneratorCPUSeconds": f.loadCPU, "httpClient": httpClient.rawValue, "peakRSSMiB": f.rss, "agree": f.agree, "finalizedHeight": f.height,
                "retainBlocks": retainBlocks as Any, "diskBytes": f.disk.map { ["second": $0.second, "bytes": $0.bytes] as [String: Any] },
            ]
            let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
            try data.write(to: URL(fileURLWithPath: json))
        }
    }

    /// The disk rows: each node's data directory at the window's end, and its
    /// smallest and largest size over the window's second half.
    func diskRows(_ samples: [DiskSample], faulted: Set<Int>) -> [[String]] {
        guard let last = samples.last else { return [] }
        let nodes = last.bytes.indices.filter { !faulted.contains($0) }
        let halves = nodes.compactMap { DiskSample.secondHalf(samples, node: $0, duration: duration) }
        return [
            ["disk per node at the end (MiB; retain_blocks \(retainBlocks.map(String.init) ?? "all"))",
             nodes.map { String(format: "%.0f", Double(last.bytes[$0]) / 1_048_576) }.joined(separator: " ")],
            ["disk per node over the second half, min–max (MiB)",
             halves.map { String(format: "%.0f–%.0f (%+.0f %%)", $0.min, $0.max, ($0.max - $0.min) * 100 / max($0.min, 1)) }.joined(separator: " ")],
        ]
    }

    /// Ready: every node answers and sees all its peers (at most 30 s).
    static func waitUntilConnected(_ apis: [String]) async throws {
        let readyBy = Date().addingTimeInterval(30)
        while Date() < readyBy {
            var ready = true
            for api in apis where await fetch(NodeProgress.self, "http://\(api)/v1/status")?.peers != apis.count - 1 { ready = false }
            if ready { return }
            try await Task.sleep(for: .milliseconds(200))
        }
    }

    /// Whether every node at `live` finalized the same blocks (ids compared at
    /// a sample of heights up to the lowest one reached), and that height. A
    /// member still down is left out by the caller; after a fault, a restarted
    /// one is given 30 s to catch up with node 0 first.
    /// The finalized height a node's API reports, nil when it does not
    /// answer (down, or serving a state sync's progress instead).
    static func finalizedHeight(at api: String) async -> Int? {
        await fetch(NodeProgress.self, "http://\(api)/v1/status").map { Int($0.finalizedHeight) }
    }

    static func agreement(of live: [String], awaitingCatchUp: Bool) async throws -> (agree: Bool, height: Int) {
        func height(_ api: String) async -> Int { await finalizedHeight(at: api) ?? 0 }
        if awaitingCatchUp, let first = live.first {
            let target = await height(first)
            let by = Date().addingTimeInterval(30)
            for api in live {
                while Date() < by, await height(api) < target { try await Task.sleep(for: .milliseconds(200)) }
            }
        }
        var heights: [Int] = []
        for api in live { heights.append(await height(api)) }
        let common = heights.min() ?? 0
        var agree = common > 0
        // Heights a node pruned (410, or restored past by state sync) answer
        // nothing and are left out; two different ids at a height are a
        // disagreement, and so is a node without the block at `common`,
        // which every node has finalized.
        for sample in Set([1, common / 4, common / 2, (3 * common) / 4, common - 1, common]).sorted() where sample > 0 {
            var ids: [String?] = []
            for api in live { ids.append(await fetch(FinalizedBlock.self, "http://\(api)/v1/blocks/\(sample)")?.id) }
            if Set(ids.compactMap { $0 }).count > 1 || (sample == common && ids.contains(nil)) {
                agree = false
                printError("height \(sample): " + zip(live, ids).map { "\($0.0) \($0.1.map { String($0.prefix(8)) } ?? "none")" }.joined(separator: ", "))
            }
        }
        return (agree, common)
    }

    /// Where the time went, per node (GET /v1/stages over the window's
    /// blocks): table rows and the JSON report's entries.
    static func stages(of apis: [String], skipping down: Set<Int>, fromHeight: Int) async -> (rows: [[String]], json: [[String: Any]]) {
        var rows: [[String]] = []
        var json: [[String: Any]] = []
        for (index, api) in apis.enumerated() where !down.contains(index) {
            let answer = await fetch(StageTimesReport.self, "http://\(api)/v1/stages?fromHeight=\(fromHeight)")
            let stages = answer?.stagesMs ?? [:]
            json.append(["node": index, "samples": answer?.samples ?? 0, "stagesMs": stages])
            let cells = StageTimes.stages.map { name in
                stages[name].map { "\($0["p50"] ?? 0)/\($0["p90"] ?? 0)/\($0["p99"] ?? 0)" } ?? "-"
            }
            rows.append(["node \(index)"] + cells)
        }
        return (rows, json)
    }

    /// The load generator's HTTP client.
    enum HTTPClient: String, ExpressibleByArgument, CaseIterable, Sendable {
        /// One keep-alive connection per client on a blocking socket.
        case socket
        /// Foundation's URLSession (libcurl on Linux), for comparison.
        case urlsession
    }

    /// One client: closed loop (window) or open loop (rate), batches of
    /// `requestSize` unique `key=value` transactions, until `end`.
    /// A client submits to node `client % n`; when its node does not answer
    /// (killed) it moves on to the next one, as a user's client would.
    static func submit(client: Int, apis: [String], ledger: Ledger, until end: ContinuousClock.Instant, requestSize: Int,
                       window: Int, rate: Int?, txBytes: Int, keySpace: Int? = nil, tag: String = "", http: HTTPClient = .socket) async {
        let shape = LoadShape(client: client, tag: tag, requestSize: requestSize, window: window, rate: rate, txBytes: txBytes,
                              keySpace: keySpace)
        let api = apis[client % apis.count]
        switch http {
        case .socket:
            // Blocking calls: a thread of its own, never the cooperative pool.
            await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
                let thread = Thread {
                    var load = shape
                    var node = client % apis.count
                    var connection = try? HTTPConnection(api: apis[node])
                    while ContinuousClock.now < end {
                        switch load.next(outstanding: ledger.outstanding) {
                        case .wait(let ms): usleep(UInt32(ms * 1_000))
                        case .send(let transactions, let hashes):
                            ledger.submitted(hashes)
                            var accepted = 0
                            if connection == nil {
                                connection = try? HTTPConnection(api: apis[node])
                                if connection == nil { node = (node + 1) % apis.count }  // down: the next node
                            }
                            do {
                                let reply = try connection?.request("POST", "/v1/txs", body: HTTPAPI.encodeBatch(transactions))
                                accepted = reply.map { Self.acceptedCount($0.body) } ?? 0
                            } catch {
                                connection = nil  // reconnect on the next batch
                            }
                            if accepted != transactions.count { ledger.abandon(hashes) }
                        }
                    }
                    done.resume()
                }
                thread.start()
            }
        case .urlsession:
            let configuration = URLSessionConfiguration.ephemeral
            configuration.timeoutIntervalForRequest = 10
            let session = URLSession(configuration: configuration)
            var load = shape
            // Never cancelled: cancelling a URLSession request on Linux can leave it never completing.
            while ContinuousClock.now < end {
                switch load.next(outstanding: ledger.outstanding) {
                case .wait(let ms): try? await Task.sleep(for: .milliseconds(ms))
                case .send(let transactions, let hashes):
                    ledger.submitted(hashes)
                    var request = URLRequest(url: URL(string: "http://\(api)/v1/txs")!)
                    request.httpMethod = "POST"
                    request.httpBody = Data(HTTPAPI.encodeBatch(transactions))
                    let accepted = (try? await session.data(for: request)).map { Self.acceptedCount(Array($0.0)) } ?? 0
                    if accepted != transactions.count { ledger.abandon(hashes) }
                }
            }
        }
    }

    /// `accepted` from a `POST /v1/txs` reply (`{"accepted":N,…}`), without a JSON parser.
    static func acceptedCount(_ body: [UInt8]) -> Int {
        let key = Array("\"accepted\":".utf8)
        guard let at = HTTPConnection.find(key, in: body, from: 0) else { return 0 }
        var value = 0
        for byte in body[(at + key.count)...] {
            guard (0x30...0x39).contains(byte) else { break }
            value = value * 10 + Int(byte - 0x30)
        }
        return value
    }

    static func cpuSeconds(_ pid: Int32) -> Double {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = text.lastIndex(of: ")") else { return 0 }
        let fields = text[text.index(after: close)...].split(separator: " ")
        // After the command: state is field 3, utime 14, stime 15 (1-based in the whole line).
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return 0 }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    static func peakRSSMiB(_ pid: Int32) -> Double {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
              let kb = Double(line.split(separator: " ").dropFirst().first ?? "") else { return 0 }
        return kb / 1_024
    }
}

/// What the load generator submitted and saw committed: submission times by
/// transaction hash, latencies of those submitted in the measured window,
/// commits in the window. Shared by the clients and the event follower.
final class Ledger: Sendable {
    private struct State {
        var pending: [Bytes32: ContinuousClock.Instant] = [:]
        var latenciesMs: [Double] = []
        var committedInWindow = 0
        var committedTotal = 0
        /// Committed hashes this generator never had outstanding: a
        /// transaction committed twice, or one abandoned as refused.
        var unexpected = 0
        var blocks = 0
        var blocksInWindow = 0
        var blockLog: [BlockSeen] = []
        var from = ContinuousClock.now, to = ContinuousClock.now
    }
    private let state = Mutex(State())

    func setWindow(from: ContinuousClock.Instant, to: ContinuousClock.Instant) { state.withLock { $0.from = from; $0.to = to } }

    func submitted(_ hashes: [Bytes32]) {
        let now = ContinuousClock.now
        state.withLock { for hash in hashes { $0.pending[hash] = now } }
    }

    func abandon(_ hashes: [Bytes32]) { state.withLock { for hash in hashes { $0.pending[hash] = nil } } }

    /// A block node 0 finalized: when the generator saw it, who proposed it, how many of its transactions it carried.
    struct BlockSeen: Sendable {
        let at: ContinuousClock.Instant
        let proposer: Int
        /// The view it was proposed in (-1: not known).
        let view: Int
        let transactions: Int
    }
    /// Blocks logged at most (a 10-minute run at 100 blocks/s is 60,000).
    static let blockLogMax = 1_000_000

    var blockLog: [BlockSeen] { state.withLock { $0.blockLog } }

    func committed(_ hashes: [Bytes32], proposer: Int = -1, view: Int = -1) {
        let now = ContinuousClock.now
        state.withLock { s in
            s.blocks += 1
            if s.blockLog.count < Self.blockLogMax { s.blockLog.append(BlockSeen(at: now, proposer: proposer, view: view, transactions: hashes.count)) }
            s.committedTotal += hashes.count
            let inWindow = now >= s.from && now < s.to
            if inWindow {
                s.blocksInWindow += 1
                s.committedInWindow += hashes.count
            }
            for hash in hashes {
                guard let submitted = s.pending.removeValue(forKey: hash) else {
                    s.unexpected += 1
                    continue
                }
                if submitted >= s.from && submitted < s.to {
                    let d = now - submitted
                    s.latenciesMs.append(Double(d.components.seconds) * 1_000 + Double(d.components.attoseconds) / 1e15)
                }
            }
        }
    }

    var outstanding: Int { state.withLock { $0.pending.count } }
    var committedTotal: Int { state.withLock { $0.committedTotal } }
    var unexpected: Int { state.withLock { $0.unexpected } }
    var blocks: Int { state.withLock { $0.blocks } }

    struct Summary {
        let txPerSecond, blocksPerSecond, p50, p90, p99: Double
        let timed: Int
    }

    func summary(seconds: Double) -> Summary {
        state.withLock { s in
            let sorted = s.latenciesMs.sorted()
            func pick(_ q: Double) -> Double { sorted.isEmpty ? 0 : sorted[min(sorted.count - 1, Int(Double(sorted.count) * q))] }
            return Summary(txPerSecond: Double(s.committedInWindow) / seconds, blocksPerSecond: Double(s.blocksInWindow) / seconds,
                           p50: pick(0.5), p90: pick(0.9), p99: pick(0.99), timed: sorted.count)
        }
    }
}

/// Follows a node's server-sent events (with transaction hashes) on a plain
/// blocking socket in a thread of its own, feeding finalized blocks to the
/// ledger. Parses the bytes directly (no JSON parser, no String per hash):
/// at 30,000 tx/s the hashes are 2 MB/s of hex.
final class EventFollower: @unchecked Sendable {
    // @unchecked: `fd` is written once in init; `stopped` is atomic.
    private let fd: Int32
    private let ledger: Ledger
    private let stopped = Atomic<Bool>(false)

    init(api: String, ledger: Ledger) throws {
        self.ledger = ledger
        fd = try HTTPConnection.connect(api)
        let request = Array("GET /v1/events?transactions=1 HTTP/1.1\r\nHost: \(api)\r\nAccept: text/event-stream\r\n\r\n".utf8)
        _ = request.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
    }

    func start() {
        let thread = Thread { [self] in self.loop() }
        thread.start()
    }

    func stop() {
        stopped.store(true, ordering: .relaxed)
        shutdown(fd, Int32(SHUT_RDWR))
    }

    private static let frameEnd = Array("\n\n".utf8)
    private static let finalized = Array("event: finalized".utf8)
    private static let txsKey = Array("\"txs\":[".utf8)

    private func loop() {
        var buffer: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        var consumed = 0
        while !stopped.load(ordering: .relaxed) {
            let n = recv(fd, &chunk, chunk.count, 0)
            guard n > 0 else { break }
            // Drop what was parsed before appending: one move per read, not per frame.
            if consumed > 0 {
                buffer.removeFirst(consumed)
                consumed = 0
            }
            let searchFrom = max(0, buffer.count - 1)
            buffer.append(contentsOf: chunk[0..<n])
            var from = searchFrom
            while let end = HTTPConnection.find(Self.frameEnd, in: buffer, from: max(from, consumed)) {
                if let block = Self.parse(buffer[consumed..<end]) { ledger.committed(block.hashes, proposer: block.proposer, view: block.view) }
                consumed = end + Self.frameEnd.count
                from = consumed
            }
        }
        close(fd)
    }

    private static let proposerKey = Array("\"proposer\":".utf8)
    private static let viewKey = Array("\"view\":".utf8)

    /// The unsigned decimal right after `key` in `bytes`, or -1 without the key.
    static func number(after key: [UInt8], in bytes: [UInt8]) -> Int {
        guard let at = HTTPConnection.find(key, in: bytes, from: 0) else { return -1 }
        var value = 0
        for byte in bytes[(at + key.count)...] {
            guard (0x30...0x39).contains(byte) else { break }
            value = value * 10 + Int(byte - 0x30)
        }
        return value
    }

    /// A `finalized` event's proposer, view and transaction hashes, or nil for other frames.
    static func parse(_ frame: ArraySlice<UInt8>) -> (proposer: Int, view: Int, hashes: [Bytes32])? {
        let bytes = Array(frame)
        guard HTTPConnection.find(finalized, in: bytes, from: 0) != nil else { return nil }
        let proposer = number(after: proposerKey, in: bytes), view = number(after: viewKey, in: bytes)
        guard let list = HTTPConnection.find(txsKey, in: bytes, from: 0) else { return (proposer, view, []) }
        var hashes: [Bytes32] = []
        var i = list + txsKey.count
        while i + 66 <= bytes.count, bytes[i] == UInt8(ascii: "\"") {
            if let raw = Hex.decode(utf8: bytes[(i + 1)..<(i + 65)]), let hash = Bytes32(raw) { hashes.append(hash) }
            i += 66
            if i < bytes.count, bytes[i] == UInt8(ascii: ",") { i += 1 }
        }
        return (proposer, view, hashes)
    }
}
