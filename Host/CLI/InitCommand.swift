import BatonConfig
import ArgumentParser
import BatonConsole
import BatonCrypto
import BatonNetwork
import Foundation
import Node

struct InitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Set up one operator's node: its key, its node.toml and its public member file.",
        discussion: """
            Writes DIR/key.json (mode 0600: it never leaves this machine), DIR/node.toml and \
            DIR/member.json — the public part (public key, advertised address, proposed weight) \
            to send to whoever assembles the genesis with `baton genesis`. Put the genesis they \
            send back at DIR/genesis.json, check with `baton node --check --config DIR/node.toml`, \
            then run `baton node --config DIR/node.toml`.
            """)

    @Option(help: "Folder to create (must not exist, or be empty).") var dir: String
    @Option(help: ArgumentHelp("Where the other nodes reach this one: host name, IPv4 or [IPv6], with the port.", valueName: "host:port"))
    var advertise: String
    @Option(help: ArgumentHelp("Address the consensus listener binds (default: every interface, the advertised port).", valueName: "addr:port"))
    var listen: String?
    @Option(help: ArgumentHelp("Address of the HTTP API (default: 127.0.0.1 and the advertised port + 1000; it accepts transactions, so expose it on purpose).", valueName: "addr:port"))
    var api: String?
    @Option(help: ArgumentHelp("Where clients and tools reach the API, recorded in the member file (optional).", valueName: "host:port"))
    var advertiseAPI: String?
    @Option(help: "Proposed voting weight (the genesis decides).") var weight: UInt64 = 1
    @Option(help: "Folder of plugin .so files for this node (default: next to baton).") var pluginDir: String?

    func run() throws {
        do { try write() } catch let error as ValidationError { throw error } catch {
            printError("error: \(error)")
            throw ExitCode.failure
        }
    }

    func write() throws {
        let advertised = try address(advertise, "--advertise")
        guard !advertised.isWildcard else {
            throw ValidationError("--advertise \(advertise) is a wildcard: give the address the other nodes dial (a host name or this machine's IP)")
        }
        let listenAddress = try listen.map { try address($0, "--listen") }
            ?? PeerAddress("\(advertised.kind == .ipv6 ? "[::]" : "0.0.0.0"):\(advertised.port)")!
        guard advertised.port + 1_000 <= 65_535 || api != nil else {
            throw ValidationError("--advertise port \(advertised.port) leaves no default API port (+1000); give --api")
        }
        let apiAddress = try api.map { try address($0, "--api") } ?? PeerAddress("127.0.0.1:\(advertised.port + 1_000)")!
        let advertisedAPI = try advertiseAPI.map { try address($0, "--advertise-api") }
        guard weight >= 1 else { throw ValidationError("--weight must be at least 1 (a node without a vote joins as a follower)") }
        try Self.prepare(folder: dir)
        let key = PrivateKey.generate()
        try KeyFile.write(key, to: dir + "/key.json")
        let toml = NodeTOML(genesisFile: "genesis.json", listen: listenAddress.description, api: apiAddress.description,
                            pluginDir: pluginDir, header: "Written by baton init. Paths are relative to this file's folder.").text
        try toml.write(toFile: dir + "/node.toml", atomically: true, encoding: .utf8)
        let member = Genesis.Member(publicKey: key.publicKey.hex, weight: weight, address: advertised.description,
                                    api: advertisedAPI?.description)
        try Genesis.writeJSON(member, to: dir + "/member.json")
        print("""
            node \(key.publicKey.hex) in \(dir):
              key.json     the private key (mode 0600; keep it here, back it up, never send it)
              node.toml    listens on \(listenAddress), API on \(apiAddress)
              member.json  send this to whoever assembles the genesis (advertises \(advertised))
            next: put the genesis at \(dir)/genesis.json, then
              baton node --check --config \(dir)/node.toml
              baton node --config \(dir)/node.toml
            """)
    }

    private func address(_ text: String, _ option: String) throws -> PeerAddress {
        do { return try PeerAddress(parsing: text) } catch { throw ValidationError("\(option): \(error)") }
    }

    /// Creates `folder`, or accepts an empty one; anything else is refused
    /// (an operator's key is never overwritten, nor their node's files).
    static func prepare(folder: String) throws {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else { throw ValidationError("\(folder) exists and is not a folder") }
            let contents = try FileManager.default.contentsOfDirectory(atPath: folder)
            guard contents.isEmpty else {
                throw ValidationError("\(folder) is not empty (it holds \(contents.sorted().prefix(3).joined(separator: ", "))…); baton init never overwrites a node")
            }
        } else {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        }
    }
}
