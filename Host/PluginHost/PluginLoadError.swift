/// Why a plugin could not be loaded or instantiated.
///
/// A struct wrapping a private code (the swift-service-lifecycle pattern), so
/// new causes can be added without breaking callers that `switch` on nothing
/// but `==` against the static members. Every message names the file and says
/// what to do.
public struct PluginLoadError: Error, Hashable, Sendable, CustomStringConvertible {
    enum Code: Hashable, Sendable {
        case fileMissing
        case notSharedObject(detail: String)
        case entrySymbolMissing
        case entryReturnedNull
        case abiMajorMismatch(plugin: UInt32, host: UInt32)
        case tableTooSmall(bytes: UInt32, requiredBytes: Int, firstMissing: String)
        case tableShorterThanMinor(bytes: UInt32, minor: UInt32, requiredBytes: Int)
        case badFunction(name: String, problem: String)
        case missingCall(String)
        case invalidMetadata(field: String, problem: String)
        case createFailed(message: String)
        case notFound(name: String, searched: [String])
    }

    let code: Code
    /// The file the error is about (for `notFound`, the name asked for).
    public let path: String

    init(_ code: Code, path: String) {
        self.code = code
        self.path = path
    }

    public var description: String {
        switch code {
        case .fileMissing:
            return "\(path): no such file. Check the path, or pass --plugin-dir to the folder holding lib<name>.so."
        case .notSharedObject(let detail):
            return "\(path): not a loadable shared object (\(detail)). Build the plugin with `-shared -fPIC` for this platform."
        case .entrySymbolMissing:
            return "\(path): no `baton_plugin_entry` symbol: this shared object is not a Baton plugin. A plugin must export it (BATON_PLUGIN_DEFINE_ENTRY in C, PluginExport in Swift)."
        case .entryReturnedNull:
            return "\(path): `baton_plugin_entry` returned NULL; the plugin refused to describe itself."
        case .abiMajorMismatch(let plugin, let host):
            return "\(path): plugin speaks Baton plugin ABI \(plugin).x but this host speaks \(host).x. Rebuild the plugin against this host's baton_plugin.h, or use a host of ABI \(plugin)."
        case .tableTooSmall(let bytes, let required, let missing):
            return "\(path): plugin table is \(bytes) bytes but ABI 1.0 needs \(required); `\(missing)` and later calls are missing. Rebuild the plugin against baton_plugin.h."
        case .tableShorterThanMinor(let bytes, let minor, let required):
            return "\(path): plugin says it is ABI 1.\(minor) but its table is \(bytes) bytes; 1.\(minor) needs \(required). Its struct_size or abi_minor is wrong: rebuild it against the header it claims."
        case .badFunction(let name, let problem):
            return "\(path): typed function '\(name)': \(problem). Fix its declaration in the plugin's function table (baton_plugin.h, \"Typed functions\")."
        case .missingCall(let name):
            return "\(path): required call `\(name)` is NULL in the plugin table. Implement it; every call is required in ABI 1."
        case .invalidMetadata(let field, let problem):
            return "\(path): plugin \(field) \(problem)."
        case .createFailed(let message):
            return "\(path): the plugin refused to start: \(message)"
        case .notFound(let name, let searched):
            let dirs = searched.isEmpty ? "(no directories)" : searched.joined(separator: ", ")
            return "plugin '\(name)' not found: looked for lib\(name).so, \(name).so and \(name) in \(dirs). Pass --plugin-dir, or a path to the .so."
        }
    }
}

extension PluginLoadError {
    /// The cause alone, for tests and callers that branch on it.
    public enum Kind: Sendable, Hashable {
        case fileMissing, notSharedObject, entrySymbolMissing, entryReturnedNull, abiMajorMismatch
        case tableTooSmall, tableShorterThanMinor, badFunction, missingCall, invalidMetadata, createFailed, notFound
    }

    public var kind: Kind {
        switch code {
        case .fileMissing: .fileMissing
        case .notSharedObject: .notSharedObject
        case .entrySymbolMissing: .entrySymbolMissing
        case .entryReturnedNull: .entryReturnedNull
        case .abiMajorMismatch: .abiMajorMismatch
        case .tableTooSmall: .tableTooSmall
        case .tableShorterThanMinor: .tableShorterThanMinor
        case .badFunction: .badFunction
        case .missingCall: .missingCall
        case .invalidMetadata: .invalidMetadata
        case .createFailed: .createFailed
        case .notFound: .notFound
        }
    }
}
