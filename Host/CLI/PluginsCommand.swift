import BatonConsole
import ArgumentParser
import PluginHost

#if canImport(Glibc)
import Glibc
#endif

struct PluginsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plugins",
        abstract: "List and inspect application plugins.",
        subcommands: [List.self, Inspect.self])

    struct Location: ParsableArguments {
        @Option(name: .customLong("plugin-dir"), help: "Folder of plugin .so files (default: ./plugins, then the folder of this binary).")
        var pluginDirectory: String?

        var locator: PluginLocator { .standard(pluginDirectory: pluginDirectory) }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the plugins in the plugin folders.",
            discussion: "Exits non-zero if a file that claims to be a plugin cannot be loaded; the reason goes to stderr.")

        @OptionGroup var location: Location

        func run() throws {
            let found = location.locator.discover()
            var rows = [["NAME", "VERSION", "ABI", "PATH"]]
            var failures: [PluginLoadError] = []
            for (path, result) in found {
                switch result {
                case .success(let plugin): rows.append([plugin.info.name, plugin.info.version, plugin.info.abiVersion, path])
                case .failure(let error): failures.append(error)
                }
            }
            if rows.count == 1 {
                print("no plugins in \(location.locator.directories.joined(separator: ", "))")
            } else {
                print(Table.render(rows))
            }
            for failure in failures { printError("error: \(failure)") }
            if !failures.isEmpty { throw ExitCode.failure }
        }
    }

    struct Inspect: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show a plugin's name, version, ABI version, description and typed functions.",
            discussion: "PATH_OR_NAME is a path to a .so, or a name looked up as lib<name>.so in the plugin folders.")

        @Argument(help: "A path to a plugin .so, or a plugin name.")
        var pathOrName: String

        @OptionGroup var location: Location

        @Option(help: "Also create an instance from this config file, to check the config.")
        var config: String?

        func run() throws {
            let plugin: PluginLibrary
            do { plugin = try location.locator.load(pathOrName) } catch {
                printError("error: \(error)")
                throw ExitCode.failure
            }
            print(Table.render([
                ["name", plugin.info.name],
                ["version", plugin.info.version],
                ["abi", "\(plugin.info.abiVersion) (host speaks \(PluginABI.version))"],
                ["description", plugin.info.description],
                ["path", plugin.path],
                ["sha256", PluginFileDigest.sha256(path: plugin.path) ?? "(cannot read the file)"],
                ["functions", plugin.functions.isEmpty ? "none" : "\(plugin.functions.count) (ABI 1.3 typed functions)"],
            ]))
            if !plugin.functions.isEmpty {
                print(Table.render(plugin.functions.map { ["  \($0.name)\($0.signature)", $0.description] }))
            }
            if let config {
                guard let bytes = readFile(config) else {
                    printError("error: cannot read config file \(config)")
                    throw ExitCode.failure
                }
                do {
                    _ = try PluginApplication(library: plugin, config: bytes, store: InMemoryAppStateStore())
                    print(Table.render([["config", "\(config): accepted"]]))
                } catch {
                    printError("error: \(error)")
                    throw ExitCode.failure
                }
            }
        }
    }
}

func readFile(_ path: String) -> [UInt8]? {
    guard let file = fopen(path, "rb") else { return nil }
    defer { fclose(file) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 65536)
    while true {
        let count = fread(&chunk, 1, chunk.count, file)
        if count > 0 { bytes.append(contentsOf: chunk[0..<count]) }
        if count < chunk.count { return ferror(file) == 0 ? bytes : nil }
    }
}
