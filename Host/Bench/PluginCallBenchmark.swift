@_spi(Benchmarks) import PluginHost

/// Measures the cost of calling a plugin through the ABI, for
/// `baton bench plugin-call`. Lives here because it needs the raw function
/// pointers, which nothing outside this target may touch.
public enum PluginCallBenchmark {
    public struct Measurement: Sendable {
        public let name: String
        /// Median over rounds of (round time / calls in the round).
        public let nanosecondsPerCallMedian: Double
        public let nanosecondsPerCallMin: Double
        public let callsPerRound: Int
        public let rounds: Int
    }

    /// Runs each measurement `rounds` times of `callsPerRound` calls.
    /// `transaction` must be one the plugin accepts or rejects cheaply.
    /// `function`: a typed function (ABI 1.3) and its arguments, measured
    /// three ways: its C function pointer called directly (the floor),
    /// `ffi_call` on the prepared cif, and `Application.call`.
    public static func run(_ app: PluginApplication, transaction: [UInt8], callsPerRound: Int, rounds: Int,
                           function: (name: String, arguments: [FunctionValue])? = nil)
        throws(ApplicationError) -> [Measurement]
    {
        _ = try app.checkTransaction(transaction)  // warm up, and surface a failing plugin early
        var results: [Measurement] = []
        results.append(measure("check_tx, raw C function pointer", callsPerRound, rounds) {
            app.rawCheckTransactionLoop(transaction, count: callsPerRound)
        })
        results.append(measure("check_tx, through Application (buffers, status mapping)", callsPerRound, rounds) {
            var accepted = 0
            for _ in 0..<callsPerRound where (try? app.checkTransaction(transaction)) == .accept { accepted += 1 }
            return accepted
        })
        let context = BlockContext(height: 1, view: 1, timestampMs: 0, parentID: [UInt8](repeating: 0, count: 32),
                                   proposer: [UInt8](repeating: 2, count: 33))
        var payload: [UInt8] = []
        if case .ready(let produced, _) = try app.produceBlock(context, candidates: [transaction]) { payload = produced }
        results.append(measure("validate_block, through Application (context + payload)", callsPerRound, rounds) {
            var valid = 0
            for _ in 0..<callsPerRound where (try? app.validateBlock(context, payload: payload)) == .valid { valid += 1 }
            return valid
        })
        if let function {
            let name = function.name, arguments = function.arguments
            if app.rawFunctionLoop(name, arguments: arguments, count: 1, direct: true) != nil {
                results.append(measure("function \(name), direct C function pointer (its declared type)", callsPerRound, rounds) {
                    app.rawFunctionLoop(name, arguments: arguments, count: callsPerRound, direct: true) ?? 0
                })
            }
            results.append(measure("function \(name), ffi_call on the prepared cif (args marshalled)", callsPerRound, rounds) {
                app.rawFunctionLoop(name, arguments: arguments, count: callsPerRound, direct: false) ?? 0
            })
            results.append(measure("function \(name), through Application.call (lookup, checks, result)", callsPerRound, rounds) {
                var answered = 0
                for _ in 0..<callsPerRound where (try? app.call(name, arguments: arguments)) != nil { answered += 1 }
                return answered
            })
        }
        return results
    }

    private static func measure(_ name: String, _ calls: Int, _ rounds: Int, _ body: () -> Int) -> Measurement {
        let clock = ContinuousClock()
        var perCall: [Double] = []
        for _ in 0..<rounds {
            // The calls go through C function pointers: opaque to the
            // optimizer, so none is elided even though the result is unused.
            let start = clock.now
            _ = body()
            let elapsed = start.duration(to: clock.now)
            let nanoseconds = Double(elapsed.components.seconds) * 1e9 + Double(elapsed.components.attoseconds) / 1e9
            perCall.append(nanoseconds / Double(calls))
        }
        perCall.sort()
        return Measurement(name: name, nanosecondsPerCallMedian: perCall[perCall.count / 2],
                           nanosecondsPerCallMin: perCall[0], callsPerRound: calls, rounds: rounds)
    }
}
