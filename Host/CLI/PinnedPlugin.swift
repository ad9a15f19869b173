import ArgumentParser
import PluginHost

/// The plugin a new genesis names (`baton testnet`, `baton genesis`): found
/// and loaded now, not when the first node starts, with the SHA-256 of its
/// `.so` when the genesis is to pin it.
struct PinnedPlugin {
    let library: PluginLibrary
    let sha256: String?

    init(_ plugin: String, pluginDirectory: String?, pin: Bool) throws {
        do { library = try PluginLocator.standard(pluginDirectory: pluginDirectory).load(plugin) } catch {
            throw ValidationError("--plugin \(plugin): \(error)")
        }
        guard pin else {
            sha256 = nil
            return
        }
        guard let sha = PluginFileDigest.sha256(path: library.path) else { throw ValidationError("cannot read \(library.path)") }
        sha256 = sha
    }
}
