import BatonPluginAPI

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The ABI version this host speaks (from the header it was built with).
public enum PluginABI {
    public static let major = UInt32(BATON_PLUGIN_ABI_MAJOR)
    public static let minor = UInt32(BATON_PLUGIN_ABI_MINOR)
    public static var version: String { "\(major).\(minor)" }
}

/// A plugin shared object, opened with `dlopen` and checked against ABI v1.
///
/// Invariant: once `load` returns, every required call is non-NULL, the
/// metadata is valid UTF-8, and everything the host needs has been copied out
/// of the plugin's descriptor. Libraries are opened with `RTLD_NODELETE` and
/// never closed: unloading a Swift plugin while the process still holds
/// metadata of its types crashes later type checks, and a plugin's code must
/// stay mapped while any of its instances or threads may run.
public final class PluginLibrary: @unchecked Sendable {
    // @unchecked: all stored properties are immutable after init; the
    // descriptor points into the never-unloaded shared object.
    public let path: String
    public let info: PluginInfo
    let descriptor: UnsafePointer<baton_plugin>
    let calls: PluginCalls
    /// ABI 1.3 typed functions, prepared for libffi, in the plugin's order.
    let prepared: [FFIFunction]
    /// Name → index in `prepared`.
    let functionIndex: [String: Int]
    /// The typed functions the plugin declares (empty before ABI 1.3).
    public var functions: [PluginFunction] { prepared.map(\.declaration) }
    /// ABI 1.6 `BATON_PLUGIN_SECOND_INSTANCE`: a second, read-only instance
    /// may serve check_tx, query and the functions beside the first.
    public var allowsSecondInstance: Bool { calls.flags & UInt64(BATON_PLUGIN_SECOND_INSTANCE) != 0 }

    private init(path: String, info: PluginInfo, descriptor: UnsafePointer<baton_plugin>, calls: PluginCalls,
                 prepared: [FFIFunction]) {
        self.path = path
        self.info = info
        self.descriptor = descriptor
        self.calls = calls
        self.prepared = prepared
        functionIndex = Dictionary(uniqueKeysWithValues: prepared.enumerated().map { ($1.declaration.name, $0) })
    }

    /// Opens `path` and validates its descriptor.
    ///
    /// Errors (all expected, none fatal to the host): `fileMissing`,
    /// `notSharedObject`, `entrySymbolMissing`, `entryReturnedNull`,
    /// `abiMajorMismatch`, `tableTooSmall`, `missingCall`, `invalidMetadata`.
    public static func load(path: String) throws(PluginLoadError) -> PluginLibrary {
        guard access(path, F_OK) == 0 else { throw PluginLoadError(.fileMissing, path: path) }
        if let problem = elfProblem(path: path) {
            throw PluginLoadError(.notSharedObject(detail: problem), path: path)
        }
        guard let handle = dlopen(path, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE) else {
            let detail = dlerror().map { String(cString: $0) } ?? "dlopen failed"
            throw PluginLoadError(.notSharedObject(detail: detail), path: path)
        }
        guard let symbol = dlsym(handle, BATON_PLUGIN_ENTRY_SYMBOL) else {
            throw PluginLoadError(.entrySymbolMissing, path: path)
        }
        let entry = unsafeBitCast(symbol, to: (@convention(c) () -> UnsafePointer<baton_plugin>?).self)
        guard let descriptor = entry() else { throw PluginLoadError(.entryReturnedNull, path: path) }
        let table = try readTable(descriptor, path: path)
        let info = try readInfo(table, path: path)
        let calls = try PluginCalls(table, path: path)
        let prepared = try FunctionTable.read(table, handle: handle, path: path)
        return PluginLibrary(path: path, info: info, descriptor: descriptor, calls: calls, prepared: prepared)
    }

    /// Reads the descriptor field by field: the size first, then the versions,
    /// and the whole v1 table only once `struct_size` proves it is there.
    private static func readTable(_ descriptor: UnsafePointer<baton_plugin>, path: String) throws(PluginLoadError) -> baton_plugin {
        let raw = UnsafeRawPointer(descriptor)
        let bytes = raw.load(as: UInt32.self)
        let required = PluginCalls.requiredBytes
        guard bytes >= 8 else {
            throw PluginLoadError(.tableTooSmall(bytes: bytes, requiredBytes: required, firstMissing: "abi_major"), path: path)
        }
        // ABI rule: the major version is checked before any other field is trusted.
        let major = raw.load(fromByteOffset: 4, as: UInt32.self)
        guard major == PluginABI.major else {
            throw PluginLoadError(.abiMajorMismatch(plugin: major, host: PluginABI.major), path: path)
        }
        guard Int(bytes) >= required else {
            let missing = PluginCalls.fieldOffsets.first { $0.offset + MemoryLayout<UnsafeRawPointer>.size > Int(bytes) }
            throw PluginLoadError(
                .tableTooSmall(bytes: bytes, requiredBytes: required, firstMissing: missing?.name ?? "metadata"),
                path: path)
        }
        // Compatibility policy (header): a plugin that declares a minor fills
        // at least that minor's table; what a newer minor appended beyond
        // this host's is simply not read.
        let minor = raw.load(fromByteOffset: 8, as: UInt32.self)
        let promised = PluginCalls.tableBytes(minor: minor)
        guard Int(bytes) >= promised else {
            throw PluginLoadError(.tableShorterThanMinor(bytes: bytes, minor: minor, requiredBytes: promised), path: path)
        }
        // Copy only what the plugin says is there: a 1.0 table is shorter
        // than the host's, and the bytes after it are not the plugin's. The
        // rest stays zero (NULL: an optional call the plugin does not have).
        var table = baton_plugin()
        withUnsafeMutableBytes(of: &table) { destination in
            destination.copyMemory(from: UnsafeRawBufferPointer(start: raw, count: min(Int(bytes), destination.count)))
        }
        return table
    }

    private static func readInfo(_ table: baton_plugin, path: String) throws(PluginLoadError) -> PluginInfo {
        let name = try text(table.name, field: "name", path: path)
        guard PluginInfo.isValidName(name) else {
            throw PluginLoadError(.invalidMetadata(field: "name", problem: "'\(name)' must be 1-64 of a-z, 0-9, '-', '_'"), path: path)
        }
        return PluginInfo(
            name: name,
            version: try text(table.version, field: "version", path: path),
            description: try text(table.description, field: "description", path: path),
            abiMajor: table.abi_major,
            abiMinor: table.abi_minor)
    }

    /// Copies a plugin string, refusing NULL, unterminated (within the bound)
    /// and non-UTF-8 text.
    static func text(_ pointer: UnsafePointer<CChar>?, field: String, path: String) throws(PluginLoadError) -> String {
        guard let pointer else { throw PluginLoadError(.invalidMetadata(field: field, problem: "is NULL"), path: path) }
        let limit = Int(BATON_PLUGIN_TEXT_BYTES_MAX)
        let length = strnlen(pointer, limit + 1)
        guard length <= limit else {
            throw PluginLoadError(.invalidMetadata(field: field, problem: "is longer than \(limit) bytes"), path: path)
        }
        let bytes = UnsafeRawBufferPointer(start: pointer, count: length)
        guard let string = String(validating: bytes, as: UTF8.self) else {
            throw PluginLoadError(.invalidMetadata(field: field, problem: "is not valid UTF-8"), path: path)
        }
        return string
    }

    /// A clearer cause than dlopen's for the common case of a file that is not
    /// ELF at all (a renamed text file, a truncated download).
    private static func elfProblem(path: String) -> String? {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { return "cannot be opened: \(String(cString: strerror(errno)))" }
        defer { close(fd) }
        var magic = [UInt8](repeating: 0, count: 4)
        let count = read(fd, &magic, 4)
        guard count == 4, magic == [0x7F, 0x45, 0x4C, 0x46] else { return "no ELF header" }
        return nil
    }
}
