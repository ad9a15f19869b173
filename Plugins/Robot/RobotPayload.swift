/// A block's payload: `[version 1][count 1...8][step]…`, one byte per step:
/// the command in the low bits, bit 7 set when the patrol chose it.
enum RobotPayload {
    static let version: UInt8 = 1
    static let stepsMax = 8
    static let patrolBit: UInt8 = 0x80

    static func encode(_ steps: [Step]) -> [UInt8] {
        precondition(!steps.isEmpty && steps.count <= stepsMax, "a block carries 1...\(stepsMax) steps")
        return [version, UInt8(steps.count)] + steps.map { $0.command.rawValue | ($0.patrol ? patrolBit : 0) }
    }

    /// The steps, or why the bytes are not a payload.
    static func decode(_ bytes: [UInt8]) -> Result<[Step], PayloadError> {
        guard bytes.count >= 2 else { return .failure(.init("payload of \(bytes.count) bytes is too short")) }
        guard bytes[0] == version else { return .failure(.init("unknown payload version \(bytes[0])")) }
        let count = Int(bytes[1])
        guard (1...stepsMax).contains(count) else { return .failure(.init("a block carries 1...\(stepsMax) steps, not \(count)")) }
        guard bytes.count == 2 + count else {
            return .failure(.init("payload says \(count) steps but holds \(bytes.count - 2)"))
        }
        var steps: [Step] = []
        for byte in bytes[2...] {
            guard let command = Command(rawValue: byte & ~patrolBit) else {
                return .failure(.init("unknown command code \(byte & ~patrolBit)"))
            }
            steps.append(Step(command: command, patrol: byte & patrolBit != 0))
        }
        return .success(steps)
    }

    struct PayloadError: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }
}
