import BatonConsole
import ArgumentParser
import BatonCrypto

struct KeygenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keygen",
        abstract: "Generate a secp256k1 key pair from the OS's secure random source.",
        discussion: """
            Prints {"publicKey": hex, "privateKey": hex} to stdout, or with --out writes it to a \
            new file with mode 0600 (an existing file is never overwritten).
            """)

    @Option(help: "Write the key to this new file (mode 0600) instead of stdout; prints the public key.")
    var out: String?

    func run() throws {
        let key = PrivateKey.generate()
        guard let out else {
            print(KeyFile.json(key))
            return
        }
        do { try KeyFile.write(key, to: out) } catch {
            printError("error: \(error)")
            throw ExitCode.failure
        }
        print(key.publicKey.hex)
    }
}
