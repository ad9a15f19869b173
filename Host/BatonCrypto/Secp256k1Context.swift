import CSecp256k1

/// The one libsecp256k1 context of the process, created and randomized once.
///
/// Thread safety (libsecp256k1's contract): after creation and randomization
/// a context is only read by signing, verification and key parsing, so any
/// number of threads may use it at once. Nothing mutates it after `init`.
final class Secp256k1Context: @unchecked Sendable {
    static let shared = Secp256k1Context()

    let pointer: OpaquePointer

    private init() {
        guard let context = secp256k1_context_create(baton_secp256k1_context_none()) else {
            fatalError("libsecp256k1: cannot create a context (out of memory)")
        }
        // Blinding against side channels when signing; seeded from the OS CSPRNG.
        var seed = SecureRandom.bytes(32)
        _ = secp256k1_context_randomize(context, &seed)
        pointer = context
    }
}

enum SecureRandom {
    /// `SystemRandomNumberGenerator` reads the OS CSPRNG (getrandom(2) on Linux).
    static func bytes(_ count: Int) -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<count).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
    }
}
