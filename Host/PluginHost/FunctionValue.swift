/// One argument or result of a typed function (ABI 1.3), in the type its
/// signature declares. Values are checked against the signature before any
/// call: the C function only ever receives the types it declared.
public enum FunctionValue: Sendable, Hashable, CustomStringConvertible {
    case i32(Int32), i64(Int64), u32(UInt32), u64(UInt64), f64(Double), bool(Bool)
    /// UTF-8 with no NUL inside (the C side receives it NUL-terminated).
    case str(String)
    case bytes([UInt8])

    public var type: FunctionType {
        switch self {
        case .i32: .i32
        case .i64: .i64
        case .u32: .u32
        case .u64: .u64
        case .f64: .f64
        case .bool: .bool
        case .str: .str
        case .bytes: .bytes
        }
    }

    public var description: String {
        switch self {
        case .i32(let v): "\(v)"
        case .i64(let v): "\(v)"
        case .u32(let v): "\(v)"
        case .u64(let v): "\(v)"
        case .f64(let v): "\(v)"
        case .bool(let v): "\(v)"
        case .str(let v): "\"\(v)\""
        case .bytes(let v): "0x" + v.lowercaseHex
        }
    }
}

/// What a typed function answered.
public enum FunctionResult: Sendable, Hashable {
    case value(FunctionValue)
    /// A str/bytes function answered BATON_NOT_FOUND: no result.
    case none
}

/// Why a typed function call did not produce a result. Each case names the
/// function (and the argument) so a caller can fix its request.
public enum FunctionCallError: Error, Sendable, Hashable, CustomStringConvertible {
    /// No function of that name; `known` lists the ones there are.
    case unknownFunction(String, known: [String])
    case wrongArity(function: String, expected: Int, got: Int, signature: FunctionSignature)
    case wrongType(function: String, parameter: String, expected: FunctionType, got: FunctionType)
    /// A str argument holding a NUL byte (C would cut it there).
    case invalidString(function: String, parameter: String)
    /// The function answered BATON_REJECT: the arguments do not fit this state.
    case rejected(function: String, message: String)
    /// The function failed or broke its contract.
    case failed(ApplicationError)

    public var description: String {
        switch self {
        case .unknownFunction(let name, let known):
            "no function '\(name)' in this application (it has: \(known.isEmpty ? "none" : known.joined(separator: ", ")))"
        case .wrongArity(let function, let expected, let got, let signature):
            "\(function) takes \(expected) argument\(expected == 1 ? "" : "s") \(signature), got \(got)"
        case .wrongType(let function, let parameter, let expected, let got):
            "\(function): argument '\(parameter)' must be \(expected), got \(got)"
        case .invalidString(let function, let parameter):
            "\(function): argument '\(parameter)' is a str and must not contain a NUL character"
        case .rejected(let function, let message):
            "\(function) rejected the arguments: \(message)"
        case .failed(let error):
            "\(error)"
        }
    }
}
