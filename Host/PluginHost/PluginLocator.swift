#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Finds plugin shared objects: by path, or by name in a search path.
///
/// The default search path is `./plugins`, then the folder of the running
/// `baton` binary (where SwiftPM writes the shipped plugins). `--plugin-dir`
/// replaces it. The host never links against a plugin at build time.
public struct PluginLocator: Sendable {
    public let directories: [String]

    public init(directories: [String]) { self.directories = directories }

    /// `--plugin-dir` if given, else `./plugins` and the executable's folder.
    public static func standard(pluginDirectory: String? = nil) -> PluginLocator {
        if let pluginDirectory { return PluginLocator(directories: [pluginDirectory]) }
        var directories = ["./plugins"]
        if let executableFolder = executableDirectory() { directories.append(executableFolder) }
        return PluginLocator(directories: directories)
    }

    /// The file for `nameOrPath`: a path if it contains `/` or ends in `.so`,
    /// else the first of `lib<name>.so`, `<name>.so`, `<name>` found in the
    /// search path.
    public func resolve(_ nameOrPath: String) throws(PluginLoadError) -> String {
        if nameOrPath.contains("/") || nameOrPath.hasSuffix(".so") {
            return nameOrPath
        }
        for directory in directories {
            for file in ["lib\(nameOrPath).so", "\(nameOrPath).so", nameOrPath] {
                let candidate = directory + "/" + file
                if isRegularFile(candidate) { return candidate }
            }
        }
        throw PluginLoadError(.notFound(name: nameOrPath, searched: directories), path: nameOrPath)
    }

    /// Loads `nameOrPath` (see `resolve`).
    public func load(_ nameOrPath: String) throws(PluginLoadError) -> PluginLibrary {
        try PluginLibrary.load(path: try resolve(nameOrPath))
    }

    /// Every `*.so` in the search path, in directory order then by name; a
    /// file found twice under one name is listed once (the first wins, as in
    /// `resolve`).
    public func candidateFiles() -> [String] {
        var seen = Set<String>()
        var files: [String] = []
        for directory in directories {
            for name in Self.sharedObjects(in: directory) where seen.insert(name).inserted {
                files.append(directory + "/" + name)
            }
        }
        return files
    }

    /// One entry per candidate file: the plugin, or why it is not one. Files
    /// that do not export `baton_plugin_entry` are not plugins and are skipped
    /// (a plugin folder may hold a plugin's own dependencies).
    public func discover() -> [(path: String, result: Result<PluginLibrary, PluginLoadError>)] {
        candidateFiles().compactMap { path in
            do throws(PluginLoadError) {
                return (path, .success(try PluginLibrary.load(path: path)))
            } catch where error.kind == .entrySymbolMissing {
                return nil
            } catch {
                return (path, .failure(error))
            }
        }
    }

    private static func sharedObjects(in directory: String) -> [String] {
        guard let dir = opendir(directory) else { return [] }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name.hasSuffix(".so"), isRegularFile(directory + "/" + name) { names.append(name) }
        }
        return names.sorted()
    }

    /// The running binary's path (where the shipped plugins sit beside it).
    public static func executablePath() -> String? {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let count = readlink("/proc/self/exe", &buffer, Int(PATH_MAX))
        guard count > 0 else { return nil }
        return String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    private static func executableDirectory() -> String? {
        guard let path = executablePath(), let slash = path.lastIndex(of: "/") else { return nil }
        return String(path[..<slash])
    }
}

private func isRegularFile(_ path: String) -> Bool {
    var info = stat()
    return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG
}
