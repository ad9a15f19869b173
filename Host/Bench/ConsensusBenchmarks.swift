import BatonConsole
import ArgumentParser
import BatonCrypto
import Consensus
import Simulation

public struct CryptoBench: ParsableCommand {
    public init() {}

    public static let configuration = CommandConfiguration(
        commandName: "crypto", abstract: "ECDSA sign and verify, and QC verification for n = 4, 16, 64 (µs).")

    @Option(help: "Operations per round.") var operations = 200
    @Option(help: "Rounds; the median is reported.") var rounds = 11

    public func run() {
        let key = PrivateKey.generate()
        let signer = Secp256k1Signer(key)
        let verifier = Secp256k1Verifier()
        let digest = SHA256Digest.hash(Array("bench".utf8))
        let signature = signer.sign(digest)
        var rows = [["OPERATION", "µs (MEDIAN)", "µs (MIN)"]]
        let sign = Stopwatch.microseconds(rounds: rounds, perRound: operations) {
            for _ in 0..<operations { _ = signer.sign(digest) }
        }
        rows.append(["ECDSA sign (secp256k1, compact)", Stopwatch.format(sign.median), Stopwatch.format(sign.min)])
        let verify = Stopwatch.microseconds(rounds: rounds, perRound: operations) {
            for _ in 0..<operations { precondition(verifier.verify(signature, digest: digest, publicKey: key.publicKey)) }
        }
        rows.append(["ECDSA verify", Stopwatch.format(verify.median), Stopwatch.format(verify.min)])
        rows.append(["SHA-256 of 1 KiB", Stopwatch.format(Stopwatch.microseconds(rounds: rounds, perRound: operations * 10) {
            let kib = [UInt8](repeating: 1, count: 1024)
            for _ in 0..<(operations * 10) { _ = SHA256Digest.hash(kib) }
        }.median, digits: 2), ""])
        for n in [4, 16, 64] {
            let setup = SimulatedCommittee(n: n, realCrypto: true)
            let blockID = SHA256Digest.hash([UInt8(n)])
            let signers = SignerSet(capacity: n, members: (0..<n).map { ValidatorIndex($0) })
            let digest = SigningDomain.voteDigest(domain: setup.committee.chainID, view: 7, blockID: blockID)
            let qc = QuorumCertificate(view: 7, blockID: blockID, signers: signers,
                                       signatures: (0..<n).map { setup.signer($0).sign(digest) })
            let validator = Validator(committee: setup.committee, genesisID: setup.genesis.id, verifier: verifier)
            let perRound = max(1, operations / n)
            let time = Stopwatch.microseconds(rounds: rounds, perRound: perRound) {
                for _ in 0..<perRound { try! validator.validate(qc) }
            }
            rows.append(["QC verification, n = \(n) (all sign)", Stopwatch.format(time.median), Stopwatch.format(time.min)])
        }
        print(Table.render(rows))
    }
}

public struct CodecBench: ParsableCommand {
    public init() {}

    public static let configuration = CommandConfiguration(
        commandName: "codec", abstract: "Encode and decode a block of 1,000 × 256-byte transactions (µs).")

    @Option(help: "Rounds; the median is reported.") var rounds = 21

    public func run() throws {
        let setup = SimulatedCommittee(n: 4)
        var payload: [UInt8] = []
        for i in 0..<1_000 {
            payload += [0, 0, 1, 0]  // u32 length 256, as the kvstore plugin frames them
            payload += [UInt8](repeating: UInt8(i % 256), count: 256)
        }
        let block = Block(view: 9, height: 8, parentID: setup.genesis.id, qc: setup.genesisQC, lastViewTC: nil,
                          proposer: 0, timestampMs: 1, executedHeight: 7, executedStateHash: .zero, payload: payload)
        let proposal = Message.proposal(Proposal(block: block, signature: setup.signer(0).sign(block.id)))
        let bytes = proposal.encoded
        let encode = Stopwatch.microseconds(rounds: rounds, perRound: 10) { for _ in 0..<10 { _ = proposal.encoded } }
        let decode = Stopwatch.microseconds(rounds: rounds, perRound: 10) {
            for _ in 0..<10 { _ = try! Message.decode(bytes) }
        }
        let mb = Double(bytes.count) / 1e6
        print(Table.render([
            ["OPERATION (\(bytes.count) bytes)", "µs (MEDIAN)", "MB/s"],
            ["encode proposal (block id was hashed at construction)", Stopwatch.format(encode.median), Stopwatch.format(mb / encode.median * 1e6, digits: 0)],
            ["decode proposal (incl. block id hash)", Stopwatch.format(decode.median), Stopwatch.format(mb / decode.median * 1e6, digits: 0)],
        ]))
    }
}

public struct ConsensusBench: ParsableCommand {
    public init() {}

    public static let configuration = CommandConfiguration(
        commandName: "consensus",
        abstract: "Events per second through EventHandler: 4 cores, happy path, in one process.",
        discussion: """
            The cores run in the simulator stepped with no delay (ScriptedCluster). EVENTS/S and \
            BLOCKS/S count the time inside the cores' handle only; ALL S is the whole run, with \
            the simulated world (queue, stores, app) and its invariant checker around them.
            """)

    @Option(help: "Blocks to finalize per run.") var blocks = 2_000
    @Flag(help: "Real secp256k1 signatures instead of the counting fake signer.") var realCrypto = false

    public func run() {
        let setup = SimulatedCommittee(n: 4, realCrypto: realCrypto)
        var cluster = ScriptedCluster(setup)
        cluster.recordEffects = false
        let clock = ContinuousClock()
        let start = clock.now
        cluster.start()
        cluster.run(stepsMax: Int.max) { $0.finalizedHeight(0) >= Height(blocks) }
        let all = Self.seconds(start.duration(to: clock.now))
        let seconds = Self.seconds(cluster.timeInCores)
        precondition(cluster.agree(), "cores disagreed")
        precondition(cluster.violations.isEmpty, "the checker found \(cluster.violations)")
        print(Table.render([
            ["SIGNATURES", "EVENTS", "BLOCKS", "CORE S", "EVENTS/S", "BLOCKS/S", "ALL S"],
            [realCrypto ? "secp256k1" : "fake (counting)", "\(cluster.eventsHandled)", "\(cluster.finalizedHeight(0))",
             Stopwatch.format(seconds, digits: 2), Stopwatch.format(Double(cluster.eventsHandled) / seconds, digits: 0),
             Stopwatch.format(Double(cluster.finalizedHeight(0)) / seconds, digits: 0), Stopwatch.format(all, digits: 2)],
        ]))
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}
