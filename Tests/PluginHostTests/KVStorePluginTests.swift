import BatonTestSupport
import Foundation
import PluginHost
import Testing

/// The plain-C example plugin, loaded from its built .so.
@Suite(.blockingWork) struct KVStorePluginTests {
    let library: PluginLibrary

    init() throws { library = try PluginLibrary.load(path: Paths.shippedPlugin("kvstore")) }

    @Test func storesCommittedPairsAndAnswersQueries() throws {
        let kv = try PluginApplication(library: library, store: InMemoryAppStateStore())
        guard case .ready(let payload, let included) = try kv.produceBlock(
            context(height: 1), candidates: [Array("a=1"), Array("broken"), Array("b=two")])
        else { Issue.record("pending"); return }
        #expect(included == [0, 2])
        #expect(try kv.validateBlock(context(height: 1), payload: payload) == .valid)
        _ = try kv.commitBlock(context(height: 1), payload: payload)
        #expect(try kv.query(Array("a")).text == "1")
        #expect(try kv.query(Array("b")).text == "two")
        #expect(try kv.query([]).text.hasPrefix(#"{"blocks":1,"state_hash":""#))
        let missing = #expect(throws: ApplicationError.self) { try kv.query(Array("zzz")) }
        #expect(missing?.message == "no such key")
    }

    @Test func hashChainIsDeterministicAndOrderSensitive() throws {
        func hashes(_ blocks: [[String]]) throws -> [StateHash] {
            let kv = try PluginApplication(library: library, store: InMemoryAppStateStore())
            return try blocks.enumerated().map { index, txs in
                guard case .ready(let payload, _) = try kv.produceBlock(context(height: UInt64(index + 1)),
                                                                        candidates: txs.map { Array($0) })
                else { throw CompilerError(description: "pending") }
                return try kv.commitBlock(context(height: UInt64(index + 1)), payload: payload)
            }
        }
        let a = try hashes([["x=1"], ["y=2"], []])
        #expect(try hashes([["x=1"], ["y=2"], []]) == a)
        #expect(try hashes([["y=2"], ["x=1"], []]).last != a.last)
        #expect(Set(a).count == 3)
    }

    @Test func rejectsMalformedTransactionsAndPayloads() throws {
        let kv = try PluginApplication(library: library, store: InMemoryAppStateStore())
        #expect(try kv.checkTransaction(Array("k=v")) == .accept)
        #expect(try kv.checkTransaction(Array("=v")) == .reject(reason: "empty key"))
        #expect(try kv.checkTransaction(Array("novalue")) == .reject(reason: "expected key=value"))
        #expect(try kv.validateBlock(context(height: 1), payload: [9, 0, 0, 0, 1]) ==
            .invalid(reason: "transaction runs past the payload"))
        #expect(try kv.validateBlock(context(height: 1), payload: [1, 0]) == .invalid(reason: "truncated length prefix"))
    }

    @Test func refusesConfigItDoesNotTake() throws {
        let error = #expect(throws: PluginLoadError.self) {
            try PluginApplication(library: library, config: Array("{}"), store: InMemoryAppStateStore())
        }
        #expect(error?.kind == .createFailed)
        #expect(error?.description.contains("kvstore takes no configuration") == true)
    }
}
