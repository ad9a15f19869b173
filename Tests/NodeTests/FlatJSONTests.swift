import Foundation
@testable import Node
@testable import NodeHTTP
import Testing

/// The API's hand-written replies parse as the JSON they claim to be.
@Suite struct FlatJSONTests {
    @Test func repliesParseBackWithEscapesAndKeepTheirValues() throws {
        let awkward = "quote \" backslash \\ newline \n tab \t bell \u{07} nul \u{00} é 🚀"
        var object = FlatJSON(["accepted": .int(-12), "ok": .bool(true), "no": .bool(false)])
        object.add("reason", .string(awkward))
        object.add("", .string(""))
        let parsed = try #require(try JSONSerialization.jsonObject(with: Data(object.rendered.utf8)) as? [String: Any])
        #expect(parsed["accepted"] as? Int == -12)
        #expect(parsed["ok"] as? Bool == true && parsed["no"] as? Bool == false)
        #expect(parsed["reason"] as? String == awkward)
        #expect(parsed[""] as? String == "")
        #expect(FlatJSON([:]).rendered == "{}")
        #expect(FlatJSON(["a": .int(1), "b": .string("x")]).rendered == #"{"a":1,"b":"x"}"#)
    }
}
