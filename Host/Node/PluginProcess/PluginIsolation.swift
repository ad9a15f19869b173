import Logging
import PluginHost

/// How a node runs its plugin (node.toml `plugin_isolation`).
public enum PluginIsolation: Sendable, Hashable {
    /// dlopen'ed into the node (the default): fastest; a crash takes the node down.
    case inProcess
    /// In a child process (`baton plugin-host`, this executable): a crash or
    /// a hang costs a restart of the child, never the node.
    case process(executable: String)

    public init?(name: String, executable: String?) {
        switch name {
        case "in-process": self = .inProcess
        case "process":
            guard let executable else { return nil }
            self = .process(executable: executable)
        default: return nil
        }
    }

    public static let names = ["in-process", "process"]

    /// An instance of `library`'s application, run as this isolation says.
    public func application(library: PluginLibrary, config: [UInt8], store: AppStateStore, budgets: PluginBudgets,
                            logger: Logger, onCompletion: @escaping @Sendable (PendingCompletion) -> Void) throws -> any Application {
        switch self {
        case .inProcess:
            return try PluginApplication(library: library, config: config, store: store, logger: logger, onCompletion: onCompletion)
        case .process(let executable):
            return try ProcessApplication(library: library, executable: executable, config: config, store: store,
                                          budgets: budgets, logger: logger, onCompletion: onCompletion)
        }
    }
}
