import Node
import NodeHTTP
import Testing

/// The `POST /v1/txs` body: u32 big-endian length, then the bytes, repeated.
@Suite struct BatchSubmissionTests {
    @Test func aBatchRoundTripsAndBadFramingIsRefusedWithTheReason() throws {
        let transactions = [Array("a=1".utf8), Array("key=value".utf8), [UInt8](repeating: 7, count: 300)]
        let body = HTTPAPI.encodeBatch(transactions)
        #expect(try HTTPAPI.decodeBatch(body).get() == transactions)
        func reason(_ bytes: [UInt8]) -> String? {
            if case .failure(let error) = HTTPAPI.decodeBatch(bytes) { return error.description }
            return nil
        }
        #expect(reason([])?.contains("empty batch") == true)
        #expect(reason(Array(body.dropLast()))?.contains("transaction 2 is truncated") == true)
        #expect(reason([0, 0])?.contains("truncated length") == true)
        #expect(reason([0, 0, 0, 0])?.contains("has length 0") == true)
        #expect(reason([0xFF, 0xFF, 0xFF, 0xFF, 1])?.contains("has length") == true)
        let tooMany = HTTPAPI.encodeBatch(Array(repeating: [1], count: HTTPAPI.batchTransactionsMax + 1))
        #expect(reason(tooMany)?.contains("split the batch") == true)
    }
}
