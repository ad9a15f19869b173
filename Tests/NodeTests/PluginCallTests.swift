@testable import Node
import Testing

@Suite struct PluginCallTests {
    /// `NodeMetrics` finds a call's histogram by `position`: a case added to
    /// the enum without its position would record into another call's.
    @Test func everyCallsPositionIsItsIndexInAllCases() {
        for (index, call) in PluginCall.allCases.enumerated() {
            #expect(call.position == index, "\(call.name)")
        }
    }
}
