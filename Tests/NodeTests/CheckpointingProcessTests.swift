import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import BatonTestSupport
import Testing

/// Metronome end to end with real processes: `powchain` chain nodes, a Baton
/// federation running the checkpointing interpreter `.so`, `baton checkpoint
/// verify`.
@Suite(.processTests) struct CheckpointingProcessTests {
    /// One `powchain` process.
    final class ChainProcess: @unchecked Sendable {
        let process = Process()
        let address: String

        init(index: Int, port: Int, peers: [Int], directory: String, genesis: String?, hashrate: Int,
             name: String = "powchain", attack: (forkAt: Int, publishAt: Int)? = nil) throws {
            address = "127.0.0.1:\(port)"
            process.executableURL = URL(fileURLWithPath: Paths.binary("powchain"))
            var arguments = ["--data", "\(directory)/chain-\(index)", "--listen", address, "--miner-id", "\(index)",
                             "--hashrate", "\(hashrate)", "--difficulty-bits", "\(CheckpointingProcessTests.difficultyBits)",
                             "--name", name]
            for peer in peers where peer != port { arguments += ["--peer", "127.0.0.1:\(peer)"] }
            if let genesis { arguments += ["--genesis", genesis] }
            if let attack { arguments += ["--attacker", "--fork-at", "\(attack.forkAt)", "--publish-at", "\(attack.publishAt)"] }
            process.arguments = arguments
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle(forWritingAtPath: "/dev/null")
            try process.run()
        }

        /// SIGTERM, then waits (on a thread of its own) for the graceful
        /// exit; a node that hangs in shutdown is a bug: recorded, then
        /// killed so the suite goes on.
        func stop() async {
            guard process.isRunning else { return }
            process.terminate()
            let process = process
            let exited = await offThePool { ProcessEnd.wait(process, killingAfter: 15) }
            if !exited { Issue.record("powchain at \(address) did not exit within 15 s of SIGTERM") }
        }

        /// For a `defer` (which cannot await): SIGTERM now, the wait on a thread of its own.
        func dispose() {
            guard process.isRunning else { return }
            process.terminate()
            let process = process
            Thread { ProcessEnd.wait(process, killingAfter: 15) }.start()
        }
    }

    /// 10 leading zero bits: about 1,024 hashes a block.
    static let difficultyBits = 10
    /// Each honest chain node mines at this rate: four of them make about
    /// two blocks a second.
    static let honestHashrate = 512

    struct CheckpointCluster {
        let directory: String
        let configs: [String]
        let genesis: String
        let chainPorts: [Int]
    }

    /// A federation of 4 running the interpreter, each member pointed at its
    /// own chain node (ports in `chainPorts`).
    func checkpointFederation(plugin: String = "checkpointing", config: String, memberChains: [Int]? = nil,
                              leaderElection: String = "reputation") async throws -> CheckpointCluster {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("baton-checkpoint-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        TemporaryDirectories.remember(directory)
        let base = Ports.freeBase()
        let chainPorts = (0..<5).map { base + 300 + $0 }
        try config.write(toFile: directory + "/interpreter.conf", atomically: true, encoding: .utf8)
        let chains = memberChains ?? Array(chainPorts.prefix(4))
        // Member i's chain node: the template's {index+N} when the ports are
        // consecutive, else each node.toml is edited.
        let consecutive = chains == Array(chains[0]..<chains[0] + 4)
        let federation = try await Testnet(plugin: plugin, extraArguments: [
            "--plugin-config", directory + "/interpreter.conf",
            "--node-plugin-config", consecutive ? "chain = 127.0.0.1:{index+\(chains[0])}" : "chain = CHAIN{index}",
            "--leader-election", leaderElection,
        ], directory: directory + "/federation", basePort: base)
        let configs = federation.configs
        for (index, path) in configs.enumerated() where !consecutive {
            let text = try String(contentsOfFile: path, encoding: .utf8)
            try text.replacingOccurrences(of: "CHAIN\(index)", with: "127.0.0.1:\(chains[index])").write(toFile: path, atomically: true, encoding: .utf8)
        }
        return CheckpointCluster(directory: directory, configs: configs, genesis: directory + "/federation/genesis.json",
                                 chainPorts: chainPorts)
    }

    func chainStatus(_ address: String) async -> [String: Any] {
        (try? await httpRequest("http://\(address)/status").json) ?? [:]
    }

    func latestCheckpoint(_ address: String) async -> (height: Int, hash: String)? {
        guard let cp = await chainStatus(address)["latestCheckpoint"] as? [String: Any],
              let height = cp["height"] as? Int, let hash = cp["hash"] as? String else { return nil }
        return (height, hash)
    }

    func bestHash(_ address: String, at height: Int) async -> String? {
        (try? await httpRequest("http://\(address)/chain/block/\(height)"))?.json["hash"] as? String
    }

    func runBaton(_ arguments: [String]) async throws -> ProcessRun { try await runProcess("baton", arguments) }

    @Test func checkpointsAreCertifiedAtTheIntervalAcceptedEverywhereAndSurviveAnInterpreterSwap() async throws {
        let cluster = try await checkpointFederation(config: "interval = 5\ndepth = 3\nevery = 3\nmin_age_ms = 300\n")
        let ports = Array(cluster.chainPorts.prefix(4))
        var chains = try ports.enumerated().map {
            try ChainProcess(index: $0.offset, port: $0.element, peers: ports, directory: cluster.directory,
                             genesis: cluster.genesis, hashrate: Self.honestHashrate)
        }
        defer { chains.forEach { $0.dispose() } }
        var nodes = try cluster.configs.map { try NodeProcess(config: $0) }
        defer { nodes.forEach { $0.dispose() } }

        // Checkpoints at 5, 10, …; every chain node holds the same ones.
        let certified = await waitUntil(seconds: 90) {
            for chain in chains { guard let cp = await latestCheckpoint(chain.address), cp.height >= 10 else { return false } }
            return true
        }
        let heights = await chains.asyncMap { await latestCheckpoint($0.address)?.height ?? 0 }
        #expect(certified, "checkpoints: \(heights)")
        let reference = try #require(await latestCheckpoint(chains[0].address))
        #expect(reference.height % 5 == 0)
        #expect(await waitUntil(seconds: 30) {
            await chains.asyncAllSatisfy { await latestCheckpoint($0.address)?.height ?? 0 >= reference.height }
        })
        for chain in chains {
            // The checkpointed block is on every node's best chain.
            #expect(await bestHash(chain.address, at: reference.height) == reference.hash)
            #expect(await chainStatus(chain.address)["reorgs"] as? Int ?? 99 <= 3)
        }

        // The certificate verifies offline with only the genesis.
        let certificate = try await httpRequest("http://\(chains[1].address)/chain/certificate/\(reference.height)")
        #expect(certificate.status == 200)
        let certificatePath = cluster.directory + "/checkpoint.cert"
        try certificate.body.write(to: URL(fileURLWithPath: certificatePath))
        let verified = try await runBaton(["checkpoint", "verify", certificatePath, "--genesis", cluster.genesis])
        #expect(verified.status == 0 && verified.output.contains("valid: proof-of-work block #\(reference.height)"), "\(verified.output)")
        // Tampered copies are refused by the CLI and by the chain node, with the reason.
        var tampered = [UInt8](certificate.body)
        tampered[tampered.count - 1] ^= 0x01  // the last byte of the last QC signature
        try Data(tampered).write(to: URL(fileURLWithPath: certificatePath + ".bad"))
        let refused = try await runBaton(["checkpoint", "verify", certificatePath + ".bad", "--genesis", cluster.genesis])
        #expect(refused.status != 0 && refused.output.contains("bad signature"), "\(refused.output)")
        let posted = try await httpRequest("http://\(chains[2].address)/chain/checkpoint", method: "POST", body: Data(tampered))
        #expect(posted.status == 400 && (posted.json["error"] as? String)?.contains("bad signature") == true, "\(posted.json)")
        let other = try await checkpointFederation(config: "interval = 5\n")
        let wrongChain = try await runBaton(["checkpoint", "verify", certificatePath, "--genesis", other.genesis])
        #expect(wrongChain.status != 0 && wrongChain.output.contains("wrong chain id"), "\(wrongChain.output)")

        // Swap the interpreter for the aged policy by node config alone and
        // restart the federation: it continues from the same state, and the
        // next checkpoint is the aged policy's (a multiple of 3 above the last).
        for node in nodes { await node.stop() }
        let last = try #require(await latestCheckpoint(chains[0].address)).height
        for path in cluster.configs {
            let text = try String(contentsOfFile: path, encoding: .utf8)
            try text.replacingOccurrences(of: "plugin_config = ", with: "plugin = \"checkpointing-aged\"\nplugin_config = ")
                .write(toFile: path, atomically: true, encoding: .utf8)
        }
        nodes = try cluster.configs.map { try NodeProcess(config: $0) }
        // The aged policy's heights are multiples of 3; the interval policy's of 5.
        let aged = await waitUntil(seconds: 90) {
            guard let h = await latestCheckpoint(chains[0].address)?.height else { return false }
            return h > last && h % 3 == 0 && h % 5 != 0
        }
        let now = await latestCheckpoint(chains[0].address)?.height ?? 0
        #expect(aged, "no aged-policy checkpoint after the swap (last \(last), now \(now))")
        let query = try await httpRequest("http://\(cluster.apiAddress(0))/v1/status")
        #expect((query.json["plugin"] as? [String: Any])?["name"] as? String == "checkpointing")
        #expect((query.json["plugin"] as? [String: Any])?["version"] as? String == "1.0.0-aged")

        // A chain node restarts from its RocksDB store with its chain and checkpoints.
        let before = try #require(await latestCheckpoint(chains[3].address))
        let heightBefore = await chainStatus(chains[3].address)["height"] as? Int ?? 0
        await chains[3].stop()
        chains[3] = try ChainProcess(index: 3, port: ports[3], peers: ports, directory: cluster.directory,
                                     genesis: cluster.genesis, hashrate: Self.honestHashrate)
        #expect(await waitUntil(seconds: 30) {
            let height = await chainStatus(chains[3].address)["height"] as? Int ?? 0
            let checkpoint = await latestCheckpoint(chains[3].address)?.height ?? 0
            return height >= heightBefore && checkpoint >= before.height
        })
        #expect(await bestHash(chains[3].address, at: before.height) == before.hash)
    }

    @Test(arguments: [true, false])
    func aMajorityHashPowerAttackFailsOnlyAgainstACheckpointedChain(federation: Bool) async throws {
        let cluster = try await checkpointFederation(config: "interval = 4\ndepth = 2\n")
        let honest = Array(cluster.chainPorts.prefix(4))
        let all = cluster.chainPorts
        // The attacker: 5× the honest hash power, a private branch from height
        // 2, published once the public chain reaches 16 and the branch is longer.
        let publishAt = 16
        var chains = try honest.enumerated().map {
            try ChainProcess(index: $0.offset, port: $0.element, peers: all, directory: cluster.directory,
                             genesis: federation ? cluster.genesis : nil, hashrate: Self.honestHashrate)
        }
        chains.append(try ChainProcess(index: 4, port: all[4], peers: all, directory: cluster.directory,
                                       genesis: federation ? cluster.genesis : nil, hashrate: Self.honestHashrate * 4 * 5,
                                       attack: (forkAt: 2, publishAt: publishAt)))
        defer { chains.forEach { $0.dispose() } }
        let nodes = federation ? try cluster.configs.map { try NodeProcess(config: $0) } : []
        defer { nodes.forEach { $0.dispose() } }
        let attacker = chains[4].address

        // Before the attack: the honest block at height 8 (a checkpoint when
        // the federation runs).
        #expect(await waitUntil(seconds: 90) { (await chainStatus(chains[0].address)["height"] as? Int ?? 0) >= 10 })
        if federation {
            #expect(await waitUntil(seconds: 60) {
                await chains.prefix(4).asyncAllSatisfy { (await latestCheckpoint($0.address)?.height ?? 0) >= 8 }
            })
        }
        let honestBlock = try #require(await bestHash(chains[0].address, at: 8))
        // The attacker publishes its longer branch.
        #expect(await waitUntil(seconds: 90) {
            ((await chainStatus(attacker)["attack"] as? [String: Any])?["published"] as? Int ?? 0) > 0
        })
        if federation {
            // The honest nodes refuse the branch: it contradicts the checkpoints.
            #expect(await waitUntil(seconds: 30) {
                await chains.prefix(4).asyncAllSatisfy { (await chainStatus($0.address)["refusedBlocks"] as? Int ?? 0) > 0 }
            })
            for chain in chains.prefix(4) {
                #expect(await bestHash(chain.address, at: 8) == honestBlock, "an honest node followed the attacker")
            }
        } else {
            // Without checkpoints the longer branch wins: every honest node
            // abandons its block at height 8 for the attacker's.
            #expect(await waitUntil(seconds: 30) {
                await chains.prefix(4).asyncAllSatisfy { address in
                    let hash = await bestHash(address.address, at: 8)
                    return hash != nil && hash != honestBlock
                }
            }, "the attack did not reorganise the chain")
            let adopted = Set(await chains.prefix(4).asyncMap { await bestHash($0.address, at: 8) ?? "" })
            #expect(adopted.count == 1)
            #expect((await chainStatus(chains[0].address)["deepestReorg"] as? Int ?? 0) >= 5)
        }
    }

    @Test func aByzantineMembersForeignCandidatesAreRejectedAndNeverCertified() async throws {
        // Member 3's interpreter talks to a chain node of another chain (its
        // own, unconnected, mining 8× faster): its candidates are ready long
        // before the honest ones and are foreign to the honest chain.
        let base = Ports.freeBase()
        let honestPorts = (0..<3).map { base + 400 + $0 }
        let foreignPort = base + 410
        // Member 3 also refuses the honest candidates, so it never votes; under
        // leader reputation (LR-2) a member missing from every QC stops being
        // chosen. The weighted-random draw lets it lead about a view in four.
        let cluster = try await checkpointFederation(config: "interval = 4\ndepth = 2\nvalidate_wait_ms = 1500\n",
                                               memberChains: honestPorts + [foreignPort], leaderElection: "weighted-random")
        let directory = cluster.directory
        // Member 3 has a foreign candidate only until the first honest
        // checkpoint is committed (its chain does not hold that block, so no
        // candidate follows it): the honest chain mines slowly (a block every
        // ~4 s, the first checkpoint due after ~24 s), leaving member 3 many
        // views to lead with its foreign one first — a run whose honest chain
        // was fast certified its first checkpoint before member 3 ever led.
        let honest = try honestPorts.enumerated().map {
            try ChainProcess(index: $0.offset, port: $0.element, peers: honestPorts, directory: directory,
                             genesis: cluster.genesis, hashrate: Self.honestHashrate / 6)
        }
        let foreign = try ChainProcess(index: 9, port: foreignPort, peers: [], directory: directory, genesis: cluster.genesis,
                                       hashrate: Self.honestHashrate * 16, name: "a-foreign-chain")
        let chains = honest + [foreign]
        defer { chains.forEach { $0.dispose() } }
        let nodes = try cluster.configs.map { try NodeProcess(config: $0) }
        defer { nodes.forEach { $0.dispose() } }

        // The honest members keep certifying checkpoints of the honest chain.
        let certified = await waitUntil(seconds: 120) {
            await honest.asyncAllSatisfy { (await latestCheckpoint($0.address)?.height ?? 0) >= 8 }
        }
        let heights = await honest.asyncMap { await latestCheckpoint($0.address)?.height ?? 0 }
        #expect(certified, "checkpoints: \(heights)")
        // Every certified checkpoint is a block of the honest chain: none of
        // member 3's foreign candidates was ever certified.
        for height in stride(from: 4, through: 8, by: 4) {
            let certified = try await httpRequest("http://\(honest[0].address)/chain/certificate/\(height)")
            #expect(certified.status == 200)
            let path = directory + "/cp-\(height).cert"
            try certified.body.write(to: URL(fileURLWithPath: path))
            let shown = try await runBaton(["checkpoint", "show", path])
            let honestHash = try #require(await bestHash(honest[0].address, at: height))
            #expect(shown.output.contains(honestHash), "checkpoint \(height) is not the honest block")
            #expect(await bestHash(foreign.address, at: height) != honestHash)
        }
        // Member 3 did propose, and its foreign candidates were refused in
        // validation (the honest nodes log it in node.log): rejected, or —
        // the interpreter waits up to validate_wait_ms for a candidate to show
        // on its chain — still pending at the node's deadline, which counts as
        // a refusal too (a loaded CI run saw only that on node 0).
        // (Awaited: which views member 3 leads, and when, depends on the launch.)
        let paths = (0..<3).map { cluster.directory + "/federation/node-\($0)/data/node.log" }
        #expect(await waitUntil(seconds: 120) {
            paths.contains { path in
                let log = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
                return log.contains("app rejected a proposal") || log.contains("did not complete a pending answer in time")
            }
        }, "no honest node refused a proposal: \(nodes[0].logTail())")
    }

    @Test func theCheckpointingDemoRunsAndAgrees() async throws {
        let base = Ports.freeBase()
        let run = try await runBaton(["demo", "checkpointing", "--duration", "20", "--attacker", "5",
                                "--base-port", "\(base)", "--chain-port", "\(base + 300)"])
        #expect(run.status == 0, "\(run.output.suffix(800))")
        let last = run.output.split(separator: "\n").last.map(String.init) ?? ""
        #expect(last.contains("agree") && last.contains("certificate"), "\(last)")
        #expect(run.output.contains("refused"), "the attacker's fork was not refused: \(run.output.suffix(400))")
    }

    /// `baton bench cluster` end to end, briefly: batched submission over
    /// POST /v1/txs, timing from the event stream, agreement, JSON output.
    @Test func theClusterBenchmarkCommitsTimesAndAgrees() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("bench-\(UUID().uuidString).json").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let run = try await runBaton(["bench", "cluster", "--duration", "4", "--warmup", "1", "--window", "800",
                                "--base-port", "\(Ports.freeBase())", "--json", path])
        #expect(run.status == 0, "\(run.output.suffix(600))")
        let data = try #require(FileManager.default.contents(atPath: path))
        let result = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(result["agree"] as? Bool == true)
        #expect((result["txPerSecond"] as? Double ?? 0) > 0)
        #expect((result["timed"] as? Int ?? 0) > 0)
        // Exactly once: no committed transaction that was not outstanding
        // (gossip arriving after a commit must not get a transaction in again).
        #expect(result["unexpectedCommits"] as? Int == 0)
        let latency = result["latencyMs"] as? [String: Double] ?? [:]
        #expect((latency["p50"] ?? 0) > 0 && (latency["p50"] ?? 0) <= (latency["p99"] ?? 0))
        // Where the time went, per node: every protocol stage measured over the window.
        let stages = result["stages"] as? [[String: Any]] ?? []
        #expect(stages.count == 4, "\(stages)")
        for node in stages {
            let ms = node["stagesMs"] as? [String: [String: Int]] ?? [:]
            #expect((node["samples"] as? Int ?? 0) > 0 && ["certify", "finalize", "commit", "event"].allSatisfy { ms[$0] != nil },
                    "\(node)")
            #expect((ms["certify"]?["p50"] ?? -1) <= (ms["certify"]?["p99"] ?? -1))
        }
    }
}

extension CheckpointingProcessTests.CheckpointCluster {
    func apiAddress(_ index: Int) -> String {
        let text = (try? String(contentsOfFile: configs[index], encoding: .utf8)) ?? ""
        return text.split(separator: "\n").first { $0.hasPrefix("api = ") }.map { String($0.split(separator: "\"")[1]) } ?? ""
    }
}

extension Sequence where Element: Sendable {
    func asyncMap<T>(_ transform: (Element) async -> T) async -> [T] {
        var out: [T] = []
        for element in self { out.append(await transform(element)) }
        return out
    }

    func asyncAllSatisfy(_ predicate: (Element) async -> Bool) async -> Bool {
        for element in self where !(await predicate(element)) { return false }
        return true
    }
}
