import BatonConfig
import PluginHost

/// What the genesis pins about the application, checked against the plugin
/// a node is about to run: a node whose app is another application, version
/// or build would compute other state hashes than the committee and, at best,
/// stop at the first one (AA-3). Refusing at start says why before any block.
enum PluginPin {
    struct Mismatch: Error, CustomStringConvertible {
        let description: String
    }

    /// `sha256`: the file's digest, read once by the caller (nil: unreadable).
    static func check(_ library: PluginLibrary, sha256: String?, against genesis: Genesis) throws(Mismatch) {
        let info = library.info
        let application = genesis.application
        guard info.name == application else {
            throw Mismatch(description: "\(library.path) is the application '\(info.name)', but the genesis names '\(application)': "
                + "a node.toml plugin = may only choose another build of '\(application)'")
        }
        if let pinned = genesis.pluginVersion, info.version != pinned {
            throw Mismatch(description: "\(library.path) is \(application) version \(info.version), but the genesis pins version \(pinned): "
                + "install version \(pinned), or change the pin in every node's genesis")
        }
        if let pinned = genesis.pluginSHA256?.lowercased() {
            guard let actual = sha256 else {
                throw Mismatch(description: "cannot read \(library.path) to check the SHA-256 the genesis pins")
            }
            guard actual == pinned else {
                throw Mismatch(description: "\(library.path) has SHA-256 \(actual), but the genesis pins \(pinned): "
                    + "this is another build of \(application); copy the pinned file to every node (baton plugins inspect prints a file's SHA-256)")
            }
        }
    }
}
