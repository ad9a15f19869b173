import BatonCrypto
import Consensus
import Node
import Testing

/// `baton genesis`'s checks, in process: a genesis from member files, and
/// every problem found at once before anything is written.
@Suite struct GenesisAssemblyTests {
    let keys = (0..<5).map { _ in PrivateKey.generate() }

    func member(_ index: Int, address: String? = nil, weight: UInt64 = 1) -> (file: String, member: GenesisAssembly.MemberFile) {
        ("m\(index).json", .init(publicKey: keys[index].publicKey.hex, weight: weight, address: address ?? "node-\(index).example.org:7100"))
    }

    func problems(_ assembly: GenesisAssembly) -> [String] {
        do { _ = try assembly.assemble(); return [] } catch { return error.problems }
    }

    @Test func aGenesisFromMemberFilesResolves() throws {
        let assembly = GenesisAssembly(chainID: "robot federation", members: (0..<4).map { member($0) }, followers: [member(4)],
                                       plugin: "robot", timestampMs: 1_700_000_000_000)
        let (genesis, warnings) = try assembly.assemble()
        #expect(warnings.isEmpty, "\(warnings)")
        let (committee, block, addresses) = try genesis.resolve()
        #expect(committee.count == 4 && committee.totalWeight == 4)
        #expect(committee.chainID == GenesisAssembly.chainID("robot federation"))
        #expect(addresses.map(\.1) == (0..<4).map { "node-\($0).example.org" })
        #expect(genesis.listenerKeys == [keys[4].publicKey])
        #expect(block.timestampMs == 1_700_000_000_000)
        // Deterministic: every operator assembling the same files gets the same genesis.
        let again = try assembly.assemble().genesis
        #expect(again.chainID == genesis.chainID && again.leaderSeed == genesis.leaderSeed)
        // A chain id given as 64 hex digits is taken as it is.
        #expect(GenesisAssembly.chainID(genesis.chainID) == committee.chainID)
    }

    @Test func everyProblemIsListedAtOnce() {
        var members = (0..<4).map { member($0) }
        members[1].member.address = "node-0.example.org:7100"          // the same address as member 0
        members[2].member.weight = 0                                     // a member without a vote
        members[3].member.address = "0.0.0.0:7100"                       // a listen address, not one to dial
        let twin = (file: "twin.json", member: members[0].member)        // the same key twice
        let bad = (file: "bad.json", member: GenesisAssembly.MemberFile(publicKey: "02zz", weight: 1, address: "::1:7100"))
        let found = problems(GenesisAssembly(chainID: "c", members: members + [twin, bad], plugin: "robot", timestampMs: 1))
        #expect(found.count == 6, "\(found)")
        #expect(found.contains { $0.contains("member m1.json has the same address (node-0.example.org:7100) as member m0.json") })
        #expect(found.contains { $0.contains("m2.json: weight 0") })
        #expect(found.contains { $0.contains("m3.json: 0.0.0.0:7100 is an address to listen on") })
        #expect(found.contains { $0.contains("twin.json has the same public key as member m0.json") })
        #expect(found.contains { $0.contains("bad.json") && $0.contains("not a compressed secp256k1 public key") })
        #expect(found.contains { $0.contains("twin.json has the same address") })
        #expect(problems(GenesisAssembly(chainID: "c", members: [], plugin: "robot", timestampMs: 1)).contains { $0.contains("no member") })
        #expect(problems(GenesisAssembly(chainID: "c", members: [member(0)], plugin: "../robot", timestampMs: 1)).contains { $0.contains("plugin name") })
        let badAddress = problems(GenesisAssembly(chainID: "c", members: [member(0, address: "::1:7100")], plugin: "robot", timestampMs: 1))
        #expect(badAddress.contains { $0.contains("brackets") })
    }

    @Test func warningsForCommitteesThatCannotTolerateAFault() throws {
        let three = try GenesisAssembly(chainID: "c", members: (0..<3).map { member($0) }, plugin: "robot", timestampMs: 1).assemble()
        #expect(three.warnings.contains { $0.contains("tolerates no faulty member") })
        let heavy = try GenesisAssembly(chainID: "c", members: [member(0, weight: 3)] + (1..<4).map { member($0) }, plugin: "robot",
                                        timestampMs: 1).assemble()
        #expect(heavy.warnings.contains { $0.contains("m0.json holds weight 3 of 6") })
        let mixed = try GenesisAssembly(chainID: "c", members: [member(0, address: "127.0.0.1:7100")] + (1..<4).map { member($0) },
                                        plugin: "robot", timestampMs: 1).assemble()
        #expect(mixed.warnings.contains { $0.contains("1 of 4 members advertise a loopback address") })
    }
}
