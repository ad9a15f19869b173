import BatonTestSupport
import Foundation
import Testing

/// Issue 19's operator path, as four operators would follow the README:
/// `baton init` on each "host", `baton genesis` from the member files they
/// send, `baton node --check`, then the nodes — advertised by host name, by
/// IPv4 and by IPv6 (all loopback here: the addresses' forms are what is
/// tested; the WAN test bed puts them on separate namespaces).
@Suite(.processTests) struct FederationSetupTests {
    func baton(_ arguments: [String]) async throws -> ProcessRun { try await runProcess("baton", arguments) }

    @Test func fromInitToAFinalizingFederation() async throws {
        let root = try makeTemporaryDirectory("baton-federation")
        let base = Ports.freeBase()
        let advertised = ["localhost:\(base)", "127.0.0.1:\(base + 1)", "[::1]:\(base + 2)", "localhost:\(base + 3)"]
        for (index, address) in advertised.enumerated() {
            let run = try await baton(["init", "--dir", "\(root)/op-\(index)", "--advertise", address, "--api", "127.0.0.1:\(base + 100 + index)",
                                 "--plugin-dir", Paths.binDirectory])
            #expect(run.status == 0, "\(run.output)")
            #expect(run.stdout.contains("member.json  send this to whoever assembles the genesis"))
        }
        // The key never leaves its folder and only its owner reads it.
        let attributes = try FileManager.default.attributesOfItem(atPath: "\(root)/op-0/key.json")
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        let toml = try String(contentsOfFile: "\(root)/op-2/node.toml", encoding: .utf8)
        #expect(toml.contains("listen = \"[::]:\(base + 2)\""), "an IPv6 node listens on every IPv6 (and IPv4) interface: \(toml)")
        // Init never overwrites an operator's folder.
        let again = try await baton(["init", "--dir", "\(root)/op-0", "--advertise", advertised[0]])
        #expect(again.status != 0 && again.stderr.contains("is not empty"), "\(again.output)")

        let members = (0..<4).flatMap { ["--member", "\(root)/op-\($0)/member.json"] }
        // A member file given twice is refused, with the reason, and nothing is written.
        let twice = try await baton(["genesis", "--chain-id", "federation test", "--plugin", "kvstore", "--plugin-dir", Paths.binDirectory,
                               "--out", "\(root)/bad.json"] + members + ["--member", "\(root)/op-1/member.json"])
        #expect(twice.status != 0 && twice.stderr.contains("has the same public key as member \(root)/op-1/member.json"), "\(twice.output)")
        #expect(!FileManager.default.fileExists(atPath: "\(root)/bad.json"))
        let genesis = try await baton(["genesis", "--chain-id", "federation test", "--plugin", "kvstore", "--pin-plugin",
                                 "--plugin-dir", Paths.binDirectory, "--out", "\(root)/genesis.json"] + members)
        #expect(genesis.status == 0, "\(genesis.output)")
        #expect(genesis.stderr.contains("loopback") == false)

        // Before the genesis arrives, the check says what is missing.
        let early = try await baton(["node", "--check", "--config", "\(root)/op-0/node.toml"])
        #expect(early.status != 0 && early.stderr.contains("cannot read genesis file"), "\(early.output)")
        for index in 0..<4 {
            try FileManager.default.copyItem(atPath: "\(root)/genesis.json", toPath: "\(root)/op-\(index)/genesis.json")
            let check = try await baton(["node", "--check", "--config", "\(root)/op-\(index)/node.toml"])
            #expect(check.status == 0, "\(check.output)")
            #expect(check.stdout.contains("is member \(index) (weight 1), advertised as \(advertised[index])"), "\(check.stdout)")
            #expect(check.stdout.contains("(pinned by the genesis, matches)") && check.stdout.contains("ready to start"))
        }
        // --check wrote nothing: no data directory yet.
        #expect(!FileManager.default.fileExists(atPath: "\(root)/op-0/data"))

        let nodes = try (0..<4).map { try NodeProcess(config: "\(root)/op-\($0)/node.toml") }
        defer { nodes.forEach { $0.dispose() } }
        let finalized = await waitUntil(seconds: 60) { nodes.allSatisfy { $0.height >= 5 } }
        #expect(finalized, "heights \(nodes.map(\.height)); \(nodes[2].logTail())")
        for height in UInt64(1)...5 {
            let hashes = Set(nodes.compactMap { $0.hash(at: height) })
            #expect(hashes.count == 1, "height \(height): \(hashes)")
        }
    }

    @Test func theCheckNamesWhatIsWrong() async throws {
        let root = try makeTemporaryDirectory("baton-federation")
        let base = Ports.freeBase()
        for index in 0..<2 {
            _ = try await baton(["init", "--dir", "\(root)/op-\(index)", "--advertise", "10.9.0.\(index + 1):\(base)", "--plugin-dir", Paths.binDirectory])
        }
        let genesis = try await baton(["genesis", "--chain-id", "c", "--plugin", "kvstore", "--plugin-dir", Paths.binDirectory,
                                 "--member", "\(root)/op-0/member.json", "--out", "\(root)/op-0/genesis.json"])
        #expect(genesis.status == 0 && genesis.stderr.contains("tolerates no faulty member"), "\(genesis.output)")
        // Operator 1's key is not in that genesis.
        try FileManager.default.copyItem(atPath: "\(root)/op-0/genesis.json", toPath: "\(root)/op-1/genesis.json")
        let stranger = try await baton(["node", "--check", "--config", "\(root)/op-1/node.toml"])
        #expect(stranger.status != 0 && stranger.stderr.contains("is neither a committee member nor a listed follower"), "\(stranger.output)")
        // A listen address an operator mistyped.
        let config = "\(root)/op-0/node.toml"
        let text = try String(contentsOfFile: config, encoding: .utf8)
        try text.replacingOccurrences(of: "listen = \"0.0.0.0:\(base)\"", with: "listen = \"::7100\"")
            .write(toFile: config, atomically: true, encoding: .utf8)
        let typo = try await baton(["node", "--check", "--config", config])
        #expect(typo.status != 0 && typo.stderr.contains("config: listen: \"::7100\" is not a host:port address"), "\(typo.output)")
        // Bad options to init are refused before anything is written.
        let wildcard = try await baton(["init", "--dir", "\(root)/op-9", "--advertise", "0.0.0.0:7100"])
        #expect(wildcard.status != 0 && wildcard.stderr.contains("is a wildcard"), "\(wildcard.output)")
        #expect(!FileManager.default.fileExists(atPath: "\(root)/op-9"))
    }
}
