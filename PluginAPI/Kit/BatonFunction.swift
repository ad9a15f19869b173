import BatonPluginAPI

/// A typed function a Swift plugin exports (ABI 1.3): an `@_cdecl` function
/// of its own, declared with the signature the host will call it by. No C to
/// write: declare the list in `PluginExport(…, functions:)`.
///
/// ```swift
/// @_cdecl("myapp_balance")
/// public func balance(_ instance: UnsafeMutableRawPointer, _ host: UnsafeRawPointer, _ account: UInt32) -> UInt64 {
///     BatonFunctions.app(MyApp.self, instance)?.balance(of: account) ?? 0
/// }
/// PluginExport(MyApp.self, …, functions: [
///     BatonFunction("balance", symbol: "myapp_balance", signature: "(account: u32) -> u64",
///                   description: "The account's committed balance"),
/// ])
/// ```
///
/// The Swift parameter types that match the type language: i32 `Int32`, i64
/// `Int64`, u32 `UInt32`, u64 `UInt64`, f64 `Double`, bool `UInt8`, str
/// `UnsafePointer<CChar>` (NUL-terminated UTF-8), bytes two parameters
/// `UnsafePointer<UInt8>?, Int`; a str/bytes result returns `Int32` (a
/// baton_status) and takes a last `UnsafeRawPointer` (the writer) that
/// `BatonFunctions.answer` writes to. The host checks the declaration at
/// load, not the Swift types: keep them in step with the signature.
public struct BatonFunction: Sendable, Hashable {
    public let name: String
    public let symbol: String
    public let signature: String
    public let description: String

    public init(_ name: String, symbol: String, signature: String, description: String) {
        self.name = name
        self.symbol = symbol
        self.signature = signature
        self.description = description
    }
}

/// What a str or bytes function answers.
public enum FunctionAnswer: Sendable, Hashable {
    case bytes([UInt8])
    case text(String)
    /// No result (JSON null).
    case notFound
    /// The arguments do not fit this state; the caller sees the message (HTTP 400).
    case reject(String)
    /// The function failed (HTTP 500).
    case failure(String)
}

/// Helpers for the bodies of exported functions.
public enum BatonFunctions {
    /// The app behind the `instance` the host passes first, or nil if it is
    /// not an `App` (a declaration pointing at another plugin's function).
    public static func app<App: BatonApplication>(_ type: App.Type, _ instance: UnsafeMutableRawPointer) -> App? {
        Instance.from(instance).app as? App
    }

    /// Writes `answer` through the function's writer (its last parameter)
    /// and returns the status the function returns.
    public static func answer(_ answer: FunctionAnswer, to writer: UnsafeRawPointer) -> Int32 {
        let out = writer.assumingMemoryBound(to: baton_writer.self)
        switch answer {
        case .bytes(let bytes): return Thunks.write(bytes, to: out) ? BATON_OK : BATON_ERR_TOO_LARGE
        case .text(let text): return Thunks.write(Array(text.utf8), to: out) ? BATON_OK : BATON_ERR_TOO_LARGE
        case .notFound: return BATON_NOT_FOUND
        case .reject(let message):
            Thunks.write(message, to: out)
            return BATON_REJECT
        case .failure(let message):
            Thunks.write(message, to: out)
            return BATON_ERROR
        }
    }

    /// Runs `body` and answers with its result; a thrown error is a failure
    /// with the error's description.
    public static func answer(to writer: UnsafeRawPointer, _ body: () throws -> FunctionAnswer) -> Int32 {
        do { return answer(try body(), to: writer) } catch { return answer(.failure("\(error)"), to: writer) }
    }

    /// A str argument as a Swift string.
    public static func string(_ pointer: UnsafePointer<CChar>) -> String { String(cString: pointer) }

    /// A bytes argument (pointer and length) as an array.
    public static func bytes(_ pointer: UnsafePointer<UInt8>?, _ count: Int) -> [UInt8] {
        guard let pointer, count > 0 else { return [] }
        return Array(UnsafeBufferPointer(start: pointer, count: count))
    }
}
