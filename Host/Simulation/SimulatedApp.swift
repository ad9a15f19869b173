import BatonCrypto
import Consensus

/// A node's replicated app in the simulator: its state hash after height h
/// is SHA-256(hash after h-1 ‖ block id), the same on every honest node; a
/// divergent app mixes in something of its own. Its state is committed
/// with the finalized block (as in a real node's atomic batch), so a crash
/// rolls it back to the block the store recovers.
struct SimulatedApp {
    let divergent: Bool
    private(set) var height: Height = 0
    /// Every hash this app reached (runs are short; heights are few).
    private var hashes: [Height: Bytes32] = [0: .zero]

    init(divergent: Bool) { self.divergent = divergent }

    var hash: Bytes32 { hashes[height] ?? .zero }

    /// Commits `block` if it is the next height; returns the state it reached.
    mutating func commit(_ block: Block) -> (Height, Bytes32)? {
        guard block.height == height + 1 else { return nil }
        var input = hash.bytes + block.id.bytes
        if divergent { input += Array("diverged".utf8) }
        height = block.height
        hashes[height] = SHA256Digest.hash(input)
        return (height, hash)
    }

    /// The newest `count` states, as a restarted node recovers them.
    func recentStates(_ count: Int) -> [Height: Bytes32] {
        let from = height >= Height(count) ? height - Height(count) + 1 : 0
        return hashes.filter { $0.key >= from && $0.key <= height }
    }

    /// A crash: the app's state is what was committed with `height`.
    mutating func rollBack(to height: Height) {
        self.height = min(self.height, height)
    }
}
