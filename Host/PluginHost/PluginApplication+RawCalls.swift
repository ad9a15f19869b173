import BatonPluginAPI

extension PluginApplication {
    /// `count` direct calls of the plugin's check_tx with one reused writer:
    /// the floor of a call across the ABI. Returns how many were accepted.
    @_spi(Benchmarks) public func rawCheckTransactionLoop(_ transaction: [UInt8], count: Int) -> Int {
        let reason = OutputBuffer(limit: 1 << 20)
        let checkTx = library.calls.checkTx
        let instance = self.instance
        return transaction.withUnsafeBufferPointer { tx in
            reason.withWriter { writer in
                var accepted = 0
                let bytes = baton_bytes(ptr: tx.baseAddress, len: tx.count)
                for _ in 0..<count where checkTx(instance, bytes, writer) == BATON_OK { accepted += 1 }
                return accepted
            }
        }
    }
}
