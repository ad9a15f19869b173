import BatonConfig
import BatonNetwork
import Testing

/// Addresses as operators write them (issue 19): host names, IPv4, IPv6 in
/// brackets; every refusal says how to write it.
@Suite struct PeerAddressTests {
    func reason(_ text: String) -> String {
        do { _ = try PeerAddress(parsing: text); return "" } catch { return error.reason }
    }

    @Test func namesIPv4AndBracketedIPv6Parse() throws {
        let name = try PeerAddress(parsing: "node-1.example.org:7100")
        #expect(name.host == "node-1.example.org" && name.port == 7100 && name.kind == .name)
        let v4 = try PeerAddress(parsing: "10.0.0.2:65535")
        #expect(v4.host == "10.0.0.2" && v4.kind == .ipv4 && v4.description == "10.0.0.2:65535")
        let v6 = try PeerAddress(parsing: "[2001:db8::7]:7100")
        #expect(v6.host == "2001:db8::7" && v6.kind == .ipv6 && v6.description == "[2001:db8::7]:7100")
        #expect(try PeerAddress(parsing: "localhost:1").isLoopback)
        #expect(try PeerAddress(parsing: "[::1]:7100").isLoopback && PeerAddress("127.0.0.9:7100")!.isLoopback)
        #expect(try PeerAddress(parsing: "0.0.0.0:7100").isWildcard && PeerAddress("[::]:7100")!.isWildcard)
        #expect(!PeerAddress("10.0.0.2:7100")!.isWildcard && !PeerAddress("10.0.0.2:7100")!.isLoopback)
        // The genesis's split gives the host as dialled: no brackets.
        #expect(PeerAddress("[fe80::1]:9")?.host == "fe80::1")
    }

    @Test func refusalsSayHowToWriteIt() {
        #expect(reason("::1:7100").contains("needs brackets around it, as in [::1]:7100"))
        #expect(reason("10.0.0.2").contains("no port"))
        #expect(reason("10.0.0.2:0").contains("not a number from 1 to 65535"))
        #expect(reason("10.0.0.2:70000").contains("not a number from 1 to 65535"))
        #expect(reason("10.0.0.2:http").contains("not a number"))
        #expect(reason("[::1]7100").contains("a port must follow the ]"))
        #expect(reason("[::1:7100").contains("no closing ]"))
        #expect(reason("[10.0.0.2]:7100").contains("not an IPv6 address"))
        #expect(reason("node_1:7100").contains("neither an IPv4 address nor a host name"))
        #expect(reason("-node:7100").contains("neither"))
        #expect(reason("10.0.0.256:7100").contains("neither"))  // digits and dots: a mistyped IPv4, not a name
        #expect(reason(":7100").contains("neither"))
        #expect(reason("").contains("empty"))
        #expect(reason(String(repeating: "a", count: 400) + ":1").contains("longer"))
        #expect(reason("a..b:1").contains("neither"))
    }
}
