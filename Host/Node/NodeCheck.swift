import BatonConfig
import BatonCrypto
import BatonNetwork
import Consensus
import Foundation
import PluginHost
import Storage

/// What a node verifies before it writes anything: the config, its key, the
/// genesis and the key's place in it, the addresses, the consensus and
/// mempool settings, and the plugin with the genesis's pin. A start does
/// this first (`NodeBootstrap.parts`); `baton node --check` does only this.
public struct NodeCheck {
    public let genesisFile: Genesis
    public let committee: Committee
    public let genesis: Block
    let addresses: [(PublicKey, String, Int)]
    public let key: PrivateKey
    public let listen: PeerAddress
    public let api: PeerAddress?
    let consensus: ConsensusConfig
    let limits: Mempool.Limits
    let locator: PluginLocator
    public let library: PluginLibrary
    public let pluginSHA256: String?

    /// A line per thing checked, for the operator; warnings apart.
    public func report(config: NodeConfig) -> (lines: [String], warnings: [String]) {
        var lines: [String] = []
        var warnings: [String] = []
        let me = key.publicKey
        lines.append("chain \(committee.chainID.short)…, \(committee.count) members, total weight \(committee.totalWeight)")
        if let index = committee.index(of: me) {
            let advertised = genesisFile.members[Int(index)].address
            lines.append("this node \(me.hex.prefix(16))… is member \(index) (weight \(committee.weight(of: index))), advertised as \(advertised)")
            if let address = PeerAddress(advertised) {
                if address.port != listen.port {
                    warnings.append("the genesis advertises port \(address.port) but listen is on \(listen.port): fine only behind a port forward")
                }
                if address.isLoopback, genesisFile.members.contains(where: { PeerAddress($0.address)?.isLoopback == false }) {
                    warnings.append("this node advertises \(advertised), which other machines cannot dial")
                }
            }
        } else if genesisFile.listenerKeys.contains(me) {
            lines.append("this node \(me.hex.prefix(16))… is a follower listed in the genesis (no vote)")
        } else {
            lines.append("this node \(me.hex.prefix(16))… is not in the genesis: join = true, it follows until a committee change names it")
        }
        lines.append("consensus listener on \(listen)" + (api.map { ", HTTP API on \($0)" } ?? ", no HTTP API"))
        if let api, !api.isLoopback {
            warnings.append("the HTTP API on \(api) accepts transactions from anyone who reaches it; expose it on purpose")
        }
        let pin = genesisFile.pluginSHA256 != nil ? "pinned by the genesis, matches" : "not pinned by the genesis"
        lines.append("plugin \(library.info.name) \(library.info.version) from \(library.path) (\(pin))")
        let dataDir = config.resolve(config.data_dir)
        let marked = FileManager.default.fileExists(atPath: dataDir + "/" + NodeStore.markerFileName)
        lines.append("data directory \(dataDir): " + (marked ? "holds a store (checked for this chain and key at start)" : "new (created at the first start)"))
        return (lines, warnings)
    }
}

extension NodeBootstrap {
    /// Every check a start makes before writing anything (see `NodeCheck`).
    public static func check(_ config: NodeConfig) throws(BootstrapError) -> NodeCheck {
        let genesisFile: Genesis
        let committee: Committee, genesis: Block, addresses: [(PublicKey, String, Int)]
        do {
            genesisFile = try Genesis.load(config.resolve(config.genesis_file))
            (committee, genesis, addresses) = try genesisFile.resolve()
        } catch { throw BootstrapError(.genesis(error.description)) }
        let key: PrivateKey
        do { key = try KeyFile.load(config.resolve(config.key_file)) } catch { throw BootstrapError(.key("\(error)")) }
        // A key the genesis does not know would run with no peers and no say:
        // refuse it (before anything is written: a wrong key_file must not
        // leave a store bound to it), unless the operator says it joins — as
        // a follower, until a committee change names it. Checked against the
        // genesis alone, so a joined member keeps `join = true`.
        guard committee.index(of: key.publicKey) != nil || genesisFile.listenerKeys.contains(key.publicKey) || config.join == true
        else { throw BootstrapError(.unknownKey(key.publicKey.hex)) }
        let listen: PeerAddress
        do { listen = try PeerAddress(parsing: config.listen) } catch { throw BootstrapError(.address("listen", "\(error)")) }
        var api: PeerAddress?
        if let text = config.api {
            do { api = try PeerAddress(parsing: text) } catch { throw BootstrapError(.address("api", "\(error)")) }
        }
        var consensus = try consensusConfig(config.consensus)
        do { consensus.leaderElection = try genesisFile.leaderElectionRule() } catch {
            throw BootstrapError(.genesis(error.description))
        }
        let limits = try mempoolLimits(config.mempool)
        _ = try retainedBlocks(config.storage)
        _ = try snapshotSchedule(config.storage)
        _ = try snapshotServeRate(config.storage)
        let locator = PluginLocator.standard(pluginDirectory: config.plugin_dir.map(config.resolve))
        let library: PluginLibrary
        let pluginSHA256: String?
        do {
            library = try locator.load(config.plugin.map { $0.contains("/") ? config.resolve($0) : $0 } ?? genesisFile.plugin)
            pluginSHA256 = PluginFileDigest.sha256(path: library.path)
            try PluginPin.check(library, sha256: pluginSHA256, against: genesisFile)
        } catch { throw BootstrapError(.plugin("\(error)")) }
        return NodeCheck(genesisFile: genesisFile, committee: committee, genesis: genesis, addresses: addresses, key: key,
                         listen: listen, api: api, consensus: consensus, limits: limits, locator: locator, library: library,
                         pluginSHA256: pluginSHA256)
    }
}
