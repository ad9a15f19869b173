/// A typed function's signature in the header's small type language (ABI 1.3,
/// baton_plugin.h "Typed functions"): `(x: i32, y: i32) -> i32`.
///
/// Invariant: a parsed signature is one the host can call. Parameter names
/// are unique and well formed, there are at most
/// `BATON_FUNCTION_PARAMETERS_MAX` of them, and every type has a libffi
/// mapping; so a declaration that parses never fails later for its shape.
public struct FunctionSignature: Sendable, Hashable, CustomStringConvertible {
    public struct Parameter: Sendable, Hashable {
        public let name: String
        public let type: FunctionType
    }

    public let parameters: [Parameter]
    public let result: FunctionType

    public static let parametersMax = 16
    static let nameBytesMax = 32

    /// The canonical spelling (what `/v1/apps/functions` and `plugins inspect` show).
    public var description: String {
        "(" + parameters.map { "\($0.name): \($0.type)" }.joined(separator: ", ") + ") -> \(result)"
    }

    /// Parses `text`; the error says where it went wrong and what was expected.
    public init(parsing text: String) throws(SignatureError) {
        var scanner = Scanner(text)
        try scanner.expect("(")
        var parameters: [Parameter] = []
        if !scanner.take(")") {
            repeat {
                let name = scanner.word()
                guard !name.isEmpty, name.utf8.count <= Self.nameBytesMax,
                      name.utf8.allSatisfy({ ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x5F })
                else {
                    throw SignatureError("parameter \(parameters.count + 1): expected a name of 1-\(Self.nameBytesMax) of a-z, 0-9, '_'\(scanner.found)")
                }
                guard !parameters.contains(where: { $0.name == name }) else {
                    throw SignatureError("parameter name '\(name)' is used twice")
                }
                try scanner.expect(":")
                let typeName = scanner.word()
                guard let type = FunctionType(rawValue: typeName) else {
                    throw SignatureError("parameter '\(name)': unknown type '\(typeName)' (one of \(FunctionType.allNames))")
                }
                parameters.append(Parameter(name: name, type: type))
                guard parameters.count <= Self.parametersMax else {
                    throw SignatureError("more than \(Self.parametersMax) parameters")
                }
            } while scanner.take(",")
            try scanner.expect(")")
        }
        try scanner.expect("->")
        let resultName = scanner.word()
        guard let result = FunctionType(rawValue: resultName) else {
            throw SignatureError("result: unknown type '\(resultName)' (one of \(FunctionType.allNames))")
        }
        guard scanner.atEnd else { throw SignatureError("unexpected text after the result type\(scanner.found)") }
        self.parameters = parameters
        self.result = result
    }

    /// A minimal scanner over the signature's bytes; spaces are insignificant.
    private struct Scanner {
        let bytes: [UInt8]
        var index = 0

        init(_ text: String) { bytes = Array(text.utf8) }

        mutating func skipSpaces() { while index < bytes.count, bytes[index] == 0x20 || bytes[index] == 0x09 { index += 1 } }

        var atEnd: Bool { mutating get { skipSpaces(); return index == bytes.count } }

        /// " (found '…')" for messages.
        var found: String {
            index < bytes.count ? " (found '\(String(decoding: bytes[index...].prefix(12), as: UTF8.self))')" : " (found the end)"
        }

        mutating func take(_ token: String) -> Bool {
            skipSpaces()
            let t = Array(token.utf8)
            guard bytes.count - index >= t.count, Array(bytes[index..<index + t.count]) == t else { return false }
            index += t.count
            return true
        }

        mutating func expect(_ token: String) throws(SignatureError) {
            guard take(token) else { throw SignatureError("expected '\(token)'\(found)") }
        }

        /// The next run of a-z, 0-9, '_' (possibly empty).
        mutating func word() -> String {
            skipSpaces()
            let start = index
            while index < bytes.count, (bytes[index] >= 0x61 && bytes[index] <= 0x7A)
                || (bytes[index] >= 0x30 && bytes[index] <= 0x39) || bytes[index] == 0x5F { index += 1 }
            return String(decoding: bytes[start..<index], as: UTF8.self)
        }
    }
}

/// The types of the signature language, with their C forms.
public enum FunctionType: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case i32, i64, u32, u64, f64, bool, str, bytes

    public var description: String { rawValue }

    static var allNames: String { allCases.map(\.rawValue).joined(separator: " ") }

    /// str and bytes results come back through a `baton_writer`; scalars as
    /// the C return value.
    public var isScalar: Bool { self != .str && self != .bytes }
}

/// Why a signature does not parse; the loader adds the function's name.
public struct SignatureError: Error, Sendable, Hashable, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
