/// A block's payload, version 2: `[2][count 1...8][step]…[tx]…` — one byte
/// per step (the command in the low bits, bit 7 set when the patrol chose
/// it), then for each user step, in order, the transaction as it was
/// submitted: `[length 1...32][bytes]`. Carrying the bytes lets the host
/// learn which mempool transactions a block took (ABI 1.2
/// `block_transactions`) from the block itself. Version 1 (no
/// transactions) is still read.
enum RobotPayload {
    static let version: UInt8 = 2
    static let stepsMax = 8
    static let patrolBit: UInt8 = 0x80
    /// `checkTransaction` admits nothing longer.
    static let transactionBytesMax = 32

    static func encode(_ steps: [Step]) -> [UInt8] {
        precondition(!steps.isEmpty && steps.count <= stepsMax, "a block carries 1...\(stepsMax) steps")
        var out = [version, UInt8(steps.count)] + steps.map { $0.command.rawValue | ($0.patrol ? patrolBit : 0) }
        for step in steps where !step.patrol {
            let tx = step.transaction ?? Array(step.command.name.utf8)
            precondition(!tx.isEmpty && tx.count <= transactionBytesMax, "a robot transaction is 1...32 bytes")
            out.append(UInt8(tx.count))
            out += tx
        }
        return out
    }

    /// The steps, or why the bytes are not a payload.
    static func decode(_ bytes: [UInt8]) -> Result<[Step], PayloadError> {
        guard bytes.count >= 2 else { return .failure(.init("payload of \(bytes.count) bytes is too short")) }
        guard bytes[0] == 1 || bytes[0] == version else { return .failure(.init("unknown payload version \(bytes[0])")) }
        let count = Int(bytes[1])
        guard (1...stepsMax).contains(count) else { return .failure(.init("a block carries 1...\(stepsMax) steps, not \(count)")) }
        guard bytes.count >= 2 + count else {
            return .failure(.init("payload says \(count) steps but holds \(bytes.count - 2)"))
        }
        var steps: [Step] = []
        for byte in bytes[2..<2 + count] {
            guard let command = Command(rawValue: byte & ~patrolBit) else {
                return .failure(.init("unknown command code \(byte & ~patrolBit)"))
            }
            steps.append(Step(command: command, patrol: byte & patrolBit != 0))
        }
        var at = 2 + count
        if bytes[0] == version {
            for index in steps.indices where !steps[index].patrol {
                guard at < bytes.count, (1...transactionBytesMax).contains(Int(bytes[at])),
                      bytes.count - at - 1 >= Int(bytes[at]) else {
                    return .failure(.init("user step \(index) has no well-formed transaction"))
                }
                let tx = Array(bytes[at + 1..<at + 1 + Int(bytes[at])])
                guard Command(transaction: tx) == steps[index].command else {
                    return .failure(.init("user step \(index)'s transaction does not say \(steps[index].command.name)"))
                }
                steps[index].transaction = tx
                at += 1 + tx.count
            }
        }
        guard at == bytes.count else { return .failure(.init("\(bytes.count - at) bytes after the last step")) }
        return .success(steps)
    }

    struct PayloadError: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }
}
