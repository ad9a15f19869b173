/// One thing the robot can be told to do. A transaction is a command's name
/// in UTF-8 ("forward", "back", "left", "right", "wait").
public enum Command: UInt8, Sendable, Hashable, CaseIterable {
    case forward = 0, back, left, right, wait

    public var name: String { String(describing: self) }

    public init?(transaction: [UInt8]) {
        let text = String(decoding: transaction, as: UTF8.self).trimmingWhitespace().lowercased()
        guard let command = Command.allCases.first(where: { $0.name == text }) else { return nil }
        self = command
    }
}

/// A command as carried in a block: who chose it is part of the record.
public struct Step: Sendable, Hashable {
    public var command: Command
    /// True when the proposer's patrol policy chose it (no user command was queued).
    public var patrol: Bool
}

extension String {
    func trimmingWhitespace() -> String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
              let last = scalars.lastIndex(where: { !$0.properties.isWhitespace }) else { return "" }
        return String(scalars[first...last])
    }
}
