import BatonAPI
import Foundation
import Testing

/// The API model keeps the JSON the node has always written: keys for absent
/// values (null), plan lists flat, 64-bit integers exact.
@Suite struct APIModelTests {
    func object(_ data: Data) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    @Test func anAbsentValueIsWrittenNullAndReadBackFromNullOrAMissingKey() throws {
        let readiness = UpgradeReadiness(prepared: nil, awaitingPlugin: "ab", problem: nil)
        let written = try object(APIJSON.encode(readiness))
        #expect(written["prepared"] is NSNull && written["problem"] is NSNull && written["awaitingPlugin"] as? String == "ab")
        #expect(APIJSON.decode(UpgradeReadiness.self, from: APIJSON.encode(readiness)) == readiness)
        // An older node's answer without the key reads as nil.
        #expect(APIJSON.decode(UpgradeReadiness.self, from: Data(#"{"awaitingPlugin":"ab"}"#.utf8)) == readiness)
    }

    @Test func aPlanEntryIsOneFlatObjectAndReadsBack() throws {
        let plan = UpgradePlanDescription(id: "01", chainID: "02", fromHeight: 50, expiresAtHeight: 40, plugin: "robot",
                                          version: "2.0.0", sha256: "03")
        let entry = OpenPlanEntry(plan: plan, proposedAt: 12, approvedWeight: 2, approvers: ["aa", "bb"])
        let written = try object(APIJSON.encode(entry))
        #expect(Set(written.keys) == ["id", "chainID", "fromHeight", "expiresAtHeight", "plugin", "version", "sha256",
                                      "proposedAt", "approvedWeight", "approvers"])
        #expect(APIJSON.decode(OpenPlanEntry<UpgradePlanDescription>.self, from: APIJSON.encode(entry)) == entry)
    }

    @Test func jsonValuesKeepSixtyFourBitIntegersExact() {
        for text in ["18446744073709551615", "-9223372036854775808", "9007199254740993", "2.5", "true", "null", #""x""#,
                     #"[1,{"a":[]}]"#] {
            let value = APIJSON.decode(JSONValue.self, from: Data(text.utf8))
            #expect(value?.text == text, "\(text) read as \(String(describing: value))")
        }
        #expect(APIJSON.decode(JSONValue.self, from: Data("18446744073709551615".utf8)) == .unsigned(.max))
    }
}
