import BatonAPI
import BatonCrypto
import Foundation
import PluginHost

/// Typed-function arguments and results as JSON (`POST /v1/apps/call/{name}`,
/// `baton call`). The mapping, documented in docs/plugins.md (Typed functions):
///
/// | type | JSON in | JSON out |
/// | --- | --- | --- |
/// | i32 i64 u32 u64 | an integer, or a string of decimal digits (64-bit values past 2^53 from JavaScript) | an integer |
/// | f64 | a number | a number; NaN and ±infinity as the strings "NaN", "Infinity", "-Infinity" |
/// | bool | true or false | true or false |
/// | str | a string (no NUL) | a string |
/// | bytes | a string: hex (an optional 0x), or base64 with `?bytes=base64` | hex, or base64 with `?bytes=base64` |
///
/// No result (BATON_NOT_FOUND) is null. Arguments come as a JSON array in
/// parameter order, or an object by parameter name; an empty body is no
/// arguments.
public enum FunctionJSON {
    public enum BytesEncoding: String, Sendable { case hex, base64 }

    /// Why a request's arguments do not fit; says which argument and why.
    public struct Invalid: Error, Sendable, CustomStringConvertible {
        public let description: String
        init(_ description: String) { self.description = description }
    }

    /// The arguments of `body` for `function`, checked against its signature.
    public static func arguments(_ body: [UInt8], for function: PluginFunction, bytes: BytesEncoding) throws(Invalid)
        -> [FunctionValue]
    {
        let parameters = function.signature.parameters
        let text = String(decoding: body, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        if text.isEmpty {
            guard parameters.isEmpty else { throw arity(function, got: 0) }
            return []
        }
        let parsed: Any
        do { parsed = try JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed]) } catch {
            throw Invalid("the body is not JSON: send a JSON array of arguments in order, or an object by name, for \(function.name)\(function.signature)")
        }
        let values: [Any]
        if let list = parsed as? [Any] {
            guard list.count == parameters.count else { throw arity(function, got: list.count) }
            values = list
        } else if let object = parsed as? [String: Any] {
            if let unknown = object.keys.sorted().first(where: { key in !parameters.contains { $0.name == key } }) {
                throw Invalid("\(function.name) has no parameter '\(unknown)'; its signature is \(function.signature)")
            }
            values = try parameters.map { (parameter) throws(Invalid) -> Any in
                guard let value = object[parameter.name] else {
                    throw Invalid("argument '\(parameter.name)' (\(parameter.type)) is missing; \(function.name)\(function.signature)")
                }
                return value
            }
        } else {
            throw Invalid("send the arguments as a JSON array in order or an object by name; \(function.name)\(function.signature)")
        }
        var arguments: [FunctionValue] = []
        for (value, parameter) in zip(values, parameters) {
            arguments.append(try convert(value, to: parameter, bytes: bytes))
        }
        return arguments
    }

    static func arity(_ function: PluginFunction, got: Int) -> Invalid {
        let n = function.signature.parameters.count
        return Invalid("\(function.name) takes \(n) argument\(n == 1 ? "" : "s") \(function.signature), got \(got)")
    }

    /// One JSON value as the parameter's type; the error names the argument.
    static func convert(_ value: Any, to parameter: FunctionSignature.Parameter, bytes: BytesEncoding) throws(Invalid)
        -> FunctionValue
    {
        func wrong(_ expected: String) -> Invalid {
            Invalid("argument '\(parameter.name)' must be \(expected) (\(parameter.type)), got \(describe(value))")
        }
        switch parameter.type {
        case .i32, .i64, .u32, .u64:
            guard let digits = integerText(value) else { throw wrong("an integer") }
            let converted: FunctionValue? = switch parameter.type {
            case .i32: Int32(digits).map(FunctionValue.i32)
            case .i64: Int64(digits).map(FunctionValue.i64)
            case .u32: UInt32(digits).map(FunctionValue.u32)
            default: UInt64(digits).map(FunctionValue.u64)
            }
            guard let converted else { throw wrong("an integer in range") }
            return converted
        case .f64:
            guard !isBool(value), let number = value as? NSNumber else { throw wrong("a number") }
            return .f64(number.doubleValue)
        case .bool:
            guard isBool(value), let flag = value as? Bool else { throw wrong("true or false") }
            return .bool(flag)
        case .str:
            guard let text = value as? String else { throw wrong("a string") }
            guard !text.utf8.contains(0) else { throw Invalid("argument '\(parameter.name)' (str) must not contain a NUL character") }
            return .str(text)
        case .bytes:
            guard let text = value as? String else { throw wrong(bytes == .hex ? "a hex string" : "a base64 string") }
            switch bytes {
            case .hex:
                let digits = text.hasPrefix("0x") || text.hasPrefix("0X") ? String(text.dropFirst(2)) : text
                guard let decoded = Hex.decode(digits.lowercased()) else { throw wrong("a hex string (an even number of 0-9a-f)") }
                return .bytes(decoded)
            case .base64:
                guard let decoded = Data(base64Encoded: text) else { throw wrong("a base64 string") }
                return .bytes(Array(decoded))
            }
        }
    }

    /// The decimal digits of an integral JSON number or a digit string.
    private static func integerText(_ value: Any) -> String? {
        if let text = value as? String {
            let body = text.hasPrefix("-") ? text.dropFirst() : Substring(text)
            return !body.isEmpty && body.allSatisfy(\.isASCII) && body.allSatisfy(\.isNumber) ? text : nil
        }
        guard !isBool(value), let number = value as? NSNumber else { return nil }
        // Integers keep their exact digits; a double must be integral.
        let text = number.stringValue
        if text.allSatisfy({ $0.isNumber || $0 == "-" }) { return text }
        let double = number.doubleValue
        guard double.isFinite, double.rounded() == double, abs(double) < 1e19 else { return nil }
        return String(format: "%.0f", double)
    }

    /// JSON true/false, told apart from 1 and 0 (Foundation bridges both to NSNumber).
    private static func isBool(_ value: Any) -> Bool {
        guard let number = value as? NSNumber else { return false }
        return type(of: value) == Bool.self || String(cString: number.objCType) == "c"
    }

    private static func describe(_ value: Any) -> String {
        if isBool(value) { return "\(value as? Bool ?? false)" }
        if value is NSNull { return "null" }
        if let text = value as? String { return "\"\(text.prefix(40))\"" }
        if let number = value as? NSNumber { return number.stringValue }
        if value is [Any] { return "an array" }
        return "an object"
    }

    /// A result as a JSON value (for `JSONSerialization`).
    public static func json(_ result: FunctionResult, bytes: BytesEncoding) -> Any {
        guard case .value(let value) = result else { return NSNull() }
        switch value {
        case .i32(let v): return Int(v)
        case .i64(let v): return v
        case .u32(let v): return UInt(v)
        case .u64(let v): return v
        case .f64(let v):
            if v.isNaN { return "NaN" }
            if v.isInfinite { return v > 0 ? "Infinity" : "-Infinity" }
            return v
        case .bool(let v): return v
        case .str(let v): return v
        case .bytes(let v): return bytes == .hex ? Hex.encode(v) : Data(v).base64EncodedString()
        }
    }

    /// A result as a `FlatJSON` value: the call route's reply is written by
    /// hand, like `POST /v1/tx`'s (JSONSerialization costs ~150 µs a reply).
    static func flat(_ result: FunctionResult, bytes: BytesEncoding) -> FlatJSON.Value {
        guard case .value(let value) = result else { return .raw("null") }
        switch value {
        case .i32(let v): return .raw(String(v))
        case .i64(let v): return .raw(String(v))
        case .u32(let v): return .raw(String(v))
        case .u64(let v): return .raw(String(v))
        case .f64(let v):
            if v.isNaN { return .string("NaN") }
            if v.isInfinite { return .string(v > 0 ? "Infinity" : "-Infinity") }
            return .raw("\(v)")
        case .bool(let v): return .bool(v)
        case .str(let v): return .string(v)
        case .bytes(let v): return .string(bytes == .hex ? Hex.encode(v) : Data(v).base64EncodedString())
        }
    }

    /// A function's listing entry (`GET /v1/apps/functions`).
    public static func listing(_ function: PluginFunction) -> FunctionListing.Function {
        FunctionListing.Function(name: function.name, signature: "\(function.signature)", description: function.description,
                                 parameters: function.signature.parameters.map { .init(name: $0.name, type: "\($0.type)") },
                                 result: "\(function.signature.result)")
    }
}
