/// Times repeated rounds of work and reports the median: the figure least
/// disturbed by a noisy machine.
enum Stopwatch {
    /// Median and minimum over `rounds` of (round time / `perRound`), in µs.
    static func microseconds(rounds: Int, perRound: Int, _ body: () -> Void) -> (median: Double, min: Double) {
        let clock = ContinuousClock()
        var samples: [Double] = []
        for _ in 0..<rounds {
            let start = clock.now
            body()
            let elapsed = start.duration(to: clock.now)
            let us = Double(elapsed.components.seconds) * 1e6 + Double(elapsed.components.attoseconds) / 1e12
            samples.append(us / Double(perRound))
        }
        samples.sort()
        return (samples[samples.count / 2], samples[0])
    }

    static func format(_ value: Double, digits: Int = 1) -> String {
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let scaled = Int((value * scale).rounded())
        let whole = scaled / Int(scale)
        let fraction = String(scaled % Int(scale))
        return digits == 0 ? "\(whole)" : "\(whole)." + String(repeating: "0", count: digits - fraction.count) + fraction
    }
}
