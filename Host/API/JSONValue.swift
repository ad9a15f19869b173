import Foundation

/// Any JSON value, typed: what a typed function's result (`POST
/// /v1/apps/call/{name}`) or its arguments can be, since a plugin decides.
///
/// Integers stay exact to 64 bits (`integer`, `unsigned`); other numbers are
/// `number`. `text` is the value as compact JSON.
public enum JSONValue: Codable, Sendable, Hashable {
    case null
    case bool(Bool)
    case integer(Int64)
    case unsigned(UInt64)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() { self = .null
        } else if let value = try? container.decode(Bool.self) { self = .bool(value)
        } else if let value = try? container.decode(Int64.self) { self = .integer(value)
        } else if let value = try? container.decode(UInt64.self) { self = .unsigned(value)
        } else if let value = try? container.decode(Double.self) { self = .number(value)
        } else if let value = try? container.decode(String.self) { self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) { self = .array(value)
        } else { self = .object(try container.decode([String: JSONValue].self)) }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .integer(let value): try container.encode(value)
        case .unsigned(let value): try container.encode(value)
        case .number(let value): try container.encode(value)
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }

    /// The value as compact JSON (keys sorted).
    public var text: String { String(decoding: APIJSON.encode(self), as: UTF8.self) }
}

/// `POST /v1/apps/call/{name}` answered 200: the function, its result, the
/// result's type, and the height whose committed state it read.
public struct FunctionCallAnswer: Codable, Sendable, Hashable {
    public var function: String
    public var result: JSONValue
    public var type: String
    public var height: UInt64

    public init(function: String, result: JSONValue, type: String, height: UInt64) {
        (self.function, self.result, self.type, self.height) = (function, result, type, height)
    }
}
