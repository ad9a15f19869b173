/// One thing the robot can be told to do. A transaction is a command's name
/// in UTF-8 ("forward", "back", "left", "right", "wait"; the second build
/// adds "uturn").
public enum Command: UInt8, Sendable, Hashable, CaseIterable {
    case forward = 0, back, left, right, wait, uturn

    public var name: String {
        switch self {
        case .forward: "forward"
        case .back: "back"
        case .left: "left"
        case .right: "right"
        case .wait: "wait"
        case .uturn: "uturn"
        }
    }

    private static let names: [(bytes: [UInt8], command: Command)] = allCases.map { (Array($0.name.utf8), $0) }

    /// Parses a transaction: the name, ASCII case ignored, surrounding ASCII
    /// white space allowed, optionally followed by white space and a nonce —
    /// digits, or "#" and printable ASCII ("left 2", "left #a7f"): the host commits a transaction once (it
    /// refuses the same bytes again while they may sit in a mempool), so a
    /// client that turns left twice within a minute sends "left 1", "left 2".
    /// Works on bytes: check_tx runs for every transaction a node is offered.
    public init?(transaction: [UInt8]) {
        func isSpace(_ b: UInt8) -> Bool { b == 0x20 || (0x09...0x0D).contains(b) }
        guard let first = transaction.firstIndex(where: { !isSpace($0) }),
              let last = transaction.lastIndex(where: { !isSpace($0) }) else { return nil }
        let end = transaction[first...last].firstIndex(where: isSpace) ?? last + 1
        let word = transaction[first..<end]
        if end <= last {
            let nonce = transaction[end...last].drop(while: isSpace)
            // Digits ("2"), or "#" and printable ASCII ("#a7f"): never a second command.
            let digits = nonce.allSatisfy { (0x30...0x39).contains($0) }
            let tagged = nonce.first == 0x23 && nonce.allSatisfy { (0x21...0x7E).contains($0) }
            guard digits || tagged else { return nil }
        }
        for (bytes, command) in Self.names where bytes.count == word.count {
            if zip(bytes, word).allSatisfy({ $0 == ($1 | 0x20) }) {
                self = command
                return
            }
        }
        return nil
    }
}

/// A command as carried in a block: who chose it is part of the record.
public struct Step: Sendable, Hashable {
    public var command: Command
    /// True when the proposer's patrol policy chose it (no user command was queued).
    public var patrol: Bool
    /// A user step's transaction as submitted (payload version 2); nil for
    /// patrol steps and in the app's stored history.
    public var transaction: [UInt8]? = nil
}

extension String {
    func trimmingWhitespace() -> String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
              let last = scalars.lastIndex(where: { !$0.properties.isWhitespace }) else { return "" }
        return String(scalars[first...last])
    }
}
