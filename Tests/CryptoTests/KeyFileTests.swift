import BatonCrypto
import Foundation
import Testing

@Suite struct KeyFileTests {
    func temporaryPath() -> String {
        "/tmp/baton-key-\(UInt64.random(in: 0 ... .max)).json"
    }

    @Test func writesOwnerOnlyAndLoadsBack() throws {
        let path = temporaryPath()
        let key = PrivateKey.generate()
        try KeyFile.write(key, to: path)
        var info = stat()
        #expect(stat(path, &info) == 0)
        #expect(info.st_mode & 0o777 == 0o600)
        #expect(try KeyFile.load(path).publicKey == key.publicKey)
        #expect(throws: KeyFile.Failure.self) { try KeyFile.write(PrivateKey.generate(), to: path) }
        #expect(try KeyFile.load(path).publicKey == key.publicKey)  // not overwritten
    }

    @Test func refusesDamagedAndMismatchedFiles() throws {
        let path = temporaryPath()
        let a = PrivateKey.generate(), b = PrivateKey.generate()
        let mixed = "{\"publicKey\": \"\(b.publicKey.hex)\", \"privateKey\": \"\(Hex.encode(a.bytes))\"}"
        FileManager.default.createFile(atPath: path, contents: Data(mixed.utf8), attributes: [.posixPermissions: 0o600])
        let mismatch = #expect(throws: KeyFile.Failure.self) { try KeyFile.load(path) }
        #expect(mismatch?.description.contains("does not belong") == true)
        FileManager.default.createFile(atPath: path, contents: Data("{\"publicKey\": 1}".utf8), attributes: [.posixPermissions: 0o600])
        #expect(throws: KeyFile.Failure.self) { try KeyFile.load(path) }
        let missing = #expect(throws: KeyFile.Failure.self) { try KeyFile.load(path + ".nope") }
        #expect(missing?.description.contains("restore that file from your backup") == true)
    }

    @Test func aKeyFileOthersCanReadIsRefusedWithTheChmodToRun() throws {
        let path = temporaryPath()
        try KeyFile.write(PrivateKey.generate(), to: path)
        chmod(path, 0o644)
        let open = #expect(throws: KeyFile.Failure.self) { try KeyFile.load(path) }
        #expect(open?.description.contains("mode 644") == true && open?.description.contains("chmod 600 \(path)") == true)
        chmod(path, 0o600)
        _ = try KeyFile.load(path)
    }
}
