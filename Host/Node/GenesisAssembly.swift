import BatonConfig
import BatonCrypto
import BatonNetwork
import Consensus
import Foundation
import PluginHost

/// Builds a genesis from the member files the operators sent (`baton init`
/// writes one per node; `baton genesis` assembles them), the way CometBFT
/// networks are set up: each operator keeps their key, and only public parts
/// travel.
///
/// Every problem is found before anything is written, all at once (an
/// operator fixing files one error per run would send them round again and
/// again): malformed keys and addresses, a key or an address twice, weights,
/// a committee that could not run. What does not stop the genesis but should
/// be read — a committee that tolerates no fault, a member who alone can stop
/// the chain, loopback addresses beside real ones — comes back as warnings.
public struct GenesisAssembly: Sendable {
    /// A member file: the public part of one node (`Genesis.Member` as JSON).
    public typealias MemberFile = Genesis.Member

    public struct Problems: Error, CustomStringConvertible, Sendable {
        public let problems: [String]
        public var description: String {
            "the genesis was not written:\n" + problems.map { "  - \($0)" }.joined(separator: "\n")
        }
    }

    public var chainID: String
    public var members: [(file: String, member: MemberFile)]
    public var followers: [(file: String, member: MemberFile)]
    public var plugin: String
    public var pluginVersion: String?
    public var pluginSHA256: String?
    public var pluginConfig: String
    public var timestampMs: UInt64

    public init(chainID: String, members: [(file: String, member: MemberFile)], followers: [(file: String, member: MemberFile)] = [],
                plugin: String, pluginVersion: String? = nil, pluginSHA256: String? = nil, pluginConfig: String = "",
                timestampMs: UInt64) {
        self.chainID = chainID
        self.members = members
        self.followers = followers
        self.plugin = plugin
        self.pluginVersion = pluginVersion
        self.pluginSHA256 = pluginSHA256
        self.pluginConfig = pluginConfig
        self.timestampMs = timestampMs
    }

    /// The chain id: 64 hex digits as given, or any other name hashed
    /// (SHA-256 of "baton-chain:" + name), so operators can agree on a word.
    public static func chainID(_ text: String) -> Bytes32 {
        if text.utf8.count == 64, let bytes = Hex.decode(text.lowercased()), let id = Bytes32(bytes) { return id }
        return SHA256Digest.hash(Array("baton-chain:\(text)".utf8))
    }

    /// Reads a member file, saying which file is wrong and why.
    public static func loadMember(_ path: String) throws(Problems) -> MemberFile {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw Problems(problems: ["cannot read member file \(path)"])
        }
        do { return try JSONDecoder().decode(MemberFile.self, from: data) } catch {
            throw Problems(problems: ["\(path) is not a member file (baton init writes one: publicKey, address, weight): \(error)"])
        }
    }

    /// The genesis, and what the operators should read before using it.
    public func assemble() throws(Problems) -> (genesis: Genesis, warnings: [String]) {
        var problems: [String] = []
        var warnings: [String] = []
        if chainID.isEmpty { problems.append("the chain id is empty") }
        if members.isEmpty { problems.append("no member: a genesis needs at least one --member file") }
        if !PluginInfo.isValidName(plugin) { problems.append("the plugin name \"\(plugin)\" is not an application name") }
        var keys: [String: String] = [:]
        var addresses: [String: String] = [:]
        var committee: [Committee.Member] = []
        var parsed: [PeerAddress] = []
        for (isMember, entries) in [(true, members), (false, followers)] {
            for (file, member) in entries {
                let name = "\(isMember ? "member" : "follower") \(file)"
                guard let bytes = Hex.decode(member.publicKey), let key = PublicKey(compressed: bytes) else {
                    problems.append("\(name): \"\(member.publicKey)\" is not a compressed secp256k1 public key (66 hex digits)")
                    continue
                }
                if let earlier = keys.updateValue(name, forKey: key.hex) {
                    problems.append("\(name) has the same public key as \(earlier): each node needs its own key (baton init)")
                }
                do {
                    let address = try PeerAddress(parsing: member.address)
                    if address.isWildcard {
                        problems.append("\(name): \(member.address) is an address to listen on, not one to dial; advertise the node's reachable address")
                    }
                    let normalized = address.description.lowercased()
                    if let earlier = addresses.updateValue(name, forKey: normalized) {
                        problems.append("\(name) has the same address (\(address)) as \(earlier)")
                    }
                    if isMember { parsed.append(address) }
                } catch {
                    problems.append("\(name): \(error)")
                }
                if let api = member.api {
                    do { _ = try PeerAddress(parsing: api) } catch { problems.append("\(name): api: \(error)") }
                }
                if isMember {
                    if member.weight == 0 {
                        problems.append("\(name): weight 0 — a member needs a weight of at least 1 (a non-voting node is a --follower)")
                    }
                    committee.append(Committee.Member(publicKey: key, weight: member.weight))
                }
            }
        }
        let chain = Self.chainID(chainID)
        let seed = SHA256Digest.hash(chain.bytes + committee.flatMap(\.publicKey.compressed))
        if problems.isEmpty {
            do { _ = try Committee(chainID: chain, members: committee, leaderSeed: seed) } catch {
                problems.append("the committee: \(error)")
            }
        }
        guard problems.isEmpty else { throw Problems(problems: problems) }
        let total = committee.reduce(0) { $0 + $1.weight }
        let faults = (total - 1) / 3
        if faults == 0 {
            warnings.append("this committee tolerates no faulty member (total weight \(total)); 4 members of equal weight tolerate one")
        }
        for (index, member) in committee.enumerated() where member.weight > faults && total >= 4 {
            warnings.append("member \(members[index].file) holds weight \(member.weight) of \(total): a third of the weight or more — alone it can stop the chain")
        }
        let loopback = parsed.filter(\.isLoopback).count
        if loopback > 0 && loopback < parsed.count {
            warnings.append("\(loopback) of \(parsed.count) members advertise a loopback address, which only their own machine can dial")
        }
        var genesis = Genesis(
            chainID: chain.hex, timestampMs: timestampMs, leaderSeed: seed.hex,
            members: members.map(\.member), listeners: followers.map(\.member.publicKey),
            plugin: plugin, pluginVersion: pluginVersion, pluginSHA256: pluginSHA256, pluginConfig: pluginConfig)
        genesis.leaderElection = LeaderElectionRule.standard.name
        return (genesis, warnings)
    }
}
