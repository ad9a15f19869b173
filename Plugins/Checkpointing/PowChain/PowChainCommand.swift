import ArgumentParser
import Consensus
import Foundation
import Logging
import BatonConfig
import ServiceLifecycle

/// `powchain`: one node of the checkpoint-assisted proof-of-work chain.
@main
struct PowChainCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "powchain",
        abstract: "A checkpoint-assisted proof-of-work chain node (Metronome), finalized by a Baton federation.",
        discussion: """
            Mines double-SHA-256 blocks at a fixed, low difficulty and a fixed hash rate, gossips them to its \
            peers over HTTP, and stores its chain in RocksDB. Given the federation's genesis.json, it verifies \
            checkpoint certificates (from its interpreter on POST /chain/checkpoint, or inside blocks) and its \
            fork choice honours them: a branch with a more recent checkpoint wins regardless of work, and a \
            branch that contradicts one is invalid.
            """)

    @Option(help: "Directory for the chain's RocksDB store (created if missing).") var data: String
    @Option(help: "HTTP address for peers, the interpreter and people (host:port).") var listen: String
    @Option(name: .customLong("peer"), help: "A peer chain node (host:port); repeat for several.") var peers: [String] = []
    @Option(help: "The Baton federation's genesis.json: enables checkpoints.") var genesis: String?
    @Option(help: "Chain name (all nodes of one chain use the same).") var name = "powchain"
    @Option(help: "Leading zero bits every block hash needs.") var difficultyBits: UInt8 = 12
    @Option(help: "Hashes per second this node spends mining (0: does not mine).") var hashrate = 1_024
    @Option(help: "A label for the blocks this node mines.") var minerID: UInt16 = 0
    @Flag(help: "Attack: mine a private branch from --fork-at, ignoring checkpoints, and publish it later.") var attacker = false
    @Option(help: "Attacker: the height of the block the private branch starts from.") var forkAt: UInt64 = 1
    @Option(help: "Attacker: publish once the public chain reaches this height and the branch is longer.") var publishAt: UInt64 = 20

    func validate() throws {
        guard Genesis.split(listen) != nil else { throw ValidationError("--listen must be host:port") }
        for peer in peers where Genesis.split(peer) == nil { throw ValidationError("--peer \(peer) is not host:port") }
        guard difficultyBits >= 1, difficultyBits <= 32 else { throw ValidationError("--difficulty-bits must be 1…32") }
        guard hashrate >= 0 else { throw ValidationError("--hashrate must be ≥ 0") }
    }

    func run() async throws {
        var logger = Logger(label: "powchain")
        logger.logLevel = .info
        logger[metadataKey: "node"] = "\(listen)"
        var committee: Committee?
        if let genesis {
            do { committee = try Genesis.load(genesis).resolve().committee } catch {
                FileHandle.standardError.write(Data("error: \(genesis): \(error)\n".utf8))
                throw ExitCode.failure
            }
        }
        let (host, port) = Genesis.split(listen)!
        let gossip = Gossip(own: listen, peers: peers, logger: logger)
        let node: ChainNode
        do {
            node = try ChainNode(name: name, difficultyBits: difficultyBits, dataDir: data, committee: committee,
                                 gossip: gossip, logger: logger)
        } catch {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            throw ExitCode.failure
        }
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [
            .init(service: ChainAPI.application(node: node, host: host, port: port)),
        ]
        if attacker {
            services.append(.init(service: Attacker(node: node, id: minerID, hashrate: hashrate, forkAt: forkAt, publishAt: publishAt)))
        } else if hashrate > 0 {
            services.append(.init(service: Miner(node: node, id: minerID, hashrate: hashrate)))
        }
        await node.catchUp()
        var quiet = logger
        quiet.logLevel = .warning
        let group = ServiceGroup(configuration: .init(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: quiet))
        logger.info("chain node running", metadata: ["listen": "\(listen)", "peers": "\(peers)", "federation": "\(committee != nil)"])
        do { try await group.run() } catch {
            await node.close()
            throw error
        }
        await node.close()
    }
}
