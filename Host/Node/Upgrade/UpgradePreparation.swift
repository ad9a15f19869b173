import BatonCrypto
import Logging
import PluginHost
import Governance

/// Why a decided plan's application cannot be made on this node; says what
/// to put where.
public struct UpgradePreparationError: Error, CustomStringConvertible, Sendable {
    public let description: String
}

/// Finds and instantiates the application a decided upgrade plan names.
///
/// A plan identifies its plugin by the SHA-256 of the shared object (the name
/// and version are checked too, as a second look): every `.so` in the plugin
/// folders is hashed and the one that matches is loaded, whatever its file
/// name (an interpreter's other policy shares its application name). The
/// instance is created over the application's own state namespace, so the
/// new plugin reads the old one's state.
public enum UpgradePreparation {
    /// `digests`: remembers the folders' files between attempts (the node
    /// retries every second until the file is there).
    public static func application(for plan: UpgradePlan, locator: PluginLocator, digests: PluginDigestCache,
                                   config: [UInt8], store: AppStateStore, logger: Logger,
                                   isolation: PluginIsolation = .inProcess, budgets: PluginBudgets = PluginBudgets(),
                                   onCompletion: @escaping @Sendable (PendingCompletion) -> Void)
        throws(UpgradePreparationError) -> any Application
    {
        let wanted = plan.sha256.hex
        guard let path = locator.candidateFiles().first(where: { digests.sha256(path: $0) == wanted }) else {
            throw UpgradePreparationError(description:
                "no plugin file with SHA-256 \(wanted) in \(locator.directories.joined(separator: ", ")) — the plan needs \(plan.plugin) \(plan.pluginVersion) from height \(plan.fromHeight); copy that .so into the plugin folder (the node looks again every second)")
        }
        do {
            let library = try PluginLibrary.load(path: path)
            guard library.info.name == plan.plugin, library.info.version == plan.pluginVersion else {
                throw UpgradePreparationError(description:
                    "\(path) has the plan's SHA-256 but says it is \(library.info.name) \(library.info.version), not \(plan.plugin) \(plan.pluginVersion)")
            }
            return try isolation.application(library: library, config: config, store: store, budgets: budgets, logger: logger,
                                             onCompletion: onCompletion)
        } catch let error as UpgradePreparationError {
            throw error
        } catch {
            throw UpgradePreparationError(description: "\(path): \(error)")
        }
    }
}
