/// SplitMix64: a small, fast generator whose whole state is one word, so a
/// run is reproduced exactly from its seed. Not for cryptography.
public struct SeededRandom: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// True with probability `permille / 1000`.
    public mutating func chance(_ permille: Int) -> Bool { permille > 0 && Int(next() % 1000) < permille }

    /// Uniform in `range`.
    public mutating func uniform(_ range: ClosedRange<UInt64>) -> UInt64 {
        range.lowerBound + next() % (range.upperBound - range.lowerBound + 1)
    }

    /// A new generator for a sub-purpose, so adding draws in one place does
    /// not shift every other draw of the run.
    public mutating func fork() -> SeededRandom { SeededRandom(seed: next()) }
}
