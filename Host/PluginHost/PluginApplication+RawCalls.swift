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

    /// `count` calls of a typed function, for `baton bench plugin-call`:
    /// `direct` through its C function pointer cast to the declared C type
    /// (only the shapes below; nil for others), else through `ffi_call` on
    /// the prepared cif with the same argument marshalling as a real call.
    /// Returns how many answered non-zero, or nil.
    @_spi(Benchmarks) public func rawFunctionLoop(_ name: String, arguments: [FunctionValue], count: Int, direct: Bool) -> Int? {
        guard let function = library.prepared.first(where: { $0.declaration.name == name }),
              (try? function.declaration.check(arguments)) != nil else { return nil }
        let instance = self.instance
        let host = UnsafePointer(hostTable)
        var nonZero = 0
        guard direct else {
            for _ in 0..<count where function.call(instance: instance, host: host, arguments: arguments, writer: nil) != 0 {
                nonZero += 1
            }
            return nonZero
        }
        switch "\(function.declaration.signature.parameters.map(\.type)) -> \(function.declaration.signature.result)" {
        case "[str] -> bool":
            guard case .str(let text) = arguments[0] else { return nil }
            typealias F = @convention(c) (UnsafeMutableRawPointer, UnsafePointer<baton_host>, UnsafePointer<CChar>) -> UInt8
            let f = unsafeBitCast(function.address, to: F.self)
            text.withCString { s in for _ in 0..<count where f(instance, host, s) != 0 { nonZero += 1 } }
        case "[i32, i32] -> i32":
            guard case .i32(let a) = arguments[0], case .i32(let b) = arguments[1] else { return nil }
            typealias F = @convention(c) (UnsafeMutableRawPointer, UnsafePointer<baton_host>, Int32, Int32) -> Int32
            let f = unsafeBitCast(function.address, to: F.self)
            for _ in 0..<count where f(instance, host, a, b) != 0 { nonZero += 1 }
        case "[] -> u64":
            typealias F = @convention(c) (UnsafeMutableRawPointer, UnsafePointer<baton_host>) -> UInt64
            let f = unsafeBitCast(function.address, to: F.self)
            for _ in 0..<count where f(instance, host) != 0 { nonZero += 1 }
        default:
            return nil
        }
        return nonZero
    }
}
