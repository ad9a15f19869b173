import BatonCrypto
import Consensus
import PluginHost

/// "From height `fromHeight`, this chain's application is plugin `plugin`,
/// version `version`, the shared object whose SHA-256 is `sha256`": a
/// host-level proposal that takes effect only once members holding more than
/// two thirds of the committee's weight have approved it in blocks (see
/// `UpgradeSchedule` for the rules).
///
/// Invariant of a plan that passes `problem(chainID:)`: it names this chain,
/// a plugin name a loader accepts, and leaves at least
/// `UpgradeSchedule.leadBlocksMin` blocks between its last possible approval
/// (`expiresAtHeight`) and `fromHeight`, so every node learns the decision
/// and prepares before any block at `fromHeight` is produced or validated.
public struct UpgradePlan: Hashable, Sendable, CustomStringConvertible {
    public static let version: UInt8 = 1
    public let chainID: Bytes32
    public let fromHeight: Height
    /// Approvals in blocks above this height do not count; the plan lapses.
    public let expiresAtHeight: Height
    public let plugin: String
    public let pluginVersion: String
    public let sha256: Bytes32

    public init(chainID: Bytes32, fromHeight: Height, expiresAtHeight: Height, plugin: String, pluginVersion: String,
                sha256: Bytes32) {
        self.chainID = chainID
        self.fromHeight = fromHeight
        self.expiresAtHeight = expiresAtHeight
        self.plugin = plugin
        self.pluginVersion = pluginVersion
        self.sha256 = sha256
    }

    /// SHA-256 of the canonical encoding: what approvals sign.
    public var id: Bytes32 { SHA256Digest.hash(encoded) }

    public var description: String {
        "plan \(id.short): from height \(fromHeight), \(plugin) \(pluginVersion) (sha256 \(sha256.short)), approvals until height \(expiresAtHeight)"
    }

    /// Why this plan can never take effect on `chainID`, or nil.
    public func problem(chainID: Bytes32) -> String? {
        guard self.chainID == chainID else { return "it is for chain \(self.chainID.short), not this chain (\(chainID.short))" }
        guard PluginInfo.isValidName(plugin) else { return "plugin name '\(plugin)' must be 1-64 of a-z, 0-9, '-', '_'" }
        guard !pluginVersion.isEmpty, pluginVersion.utf8.count <= 64 else { return "plugin version must be 1-64 bytes" }
        guard fromHeight >= expiresAtHeight + UpgradeSchedule.leadBlocksMin else {
            return "from height \(fromHeight) must be at least \(UpgradeSchedule.leadBlocksMin) blocks after the approval deadline \(expiresAtHeight)"
        }
        return nil
    }
}

extension UpgradePlan: WireCodable {
    public func encode(to writer: inout WireWriter) {
        writer.u8(Self.version)
        writer.bytes32(chainID)
        writer.u64(fromHeight)
        writer.u64(expiresAtHeight)
        writer.blob(Array(plugin.utf8))
        writer.blob(Array(pluginVersion.utf8))
        writer.bytes32(sha256)
    }

    public init(from reader: inout WireReader) throws(WireDecodingError) {
        let version = try reader.u8("plan.version")
        guard version == Self.version else {
            throw WireDecodingError(.invalidValue, field: "plan.version", detail: "version \(version); this host reads \(Self.version)")
        }
        chainID = try reader.bytes32("plan.chainID")
        fromHeight = try reader.u64("plan.fromHeight")
        expiresAtHeight = try reader.u64("plan.expiresAtHeight")
        guard let name = String(validating: try reader.blob("plan.plugin", max: 64), as: UTF8.self),
              let version = String(validating: try reader.blob("plan.pluginVersion", max: 64), as: UTF8.self) else {
            throw WireDecodingError(.invalidValue, field: "plan.plugin", detail: "not UTF-8")
        }
        plugin = name
        pluginVersion = version
        sha256 = try reader.bytes32("plan.sha256")
    }
}

extension UpgradePlan {
    /// The default approval deadline: `leadBlocksMin` blocks before `fromHeight` (U-1).
    public static func defaultDeadline(before fromHeight: Height) -> Height {
        fromHeight - min(fromHeight, UpgradeSchedule.leadBlocksMin)
    }

    /// A plan to run `library` from `fromHeight`: its name and version, and
    /// the SHA-256 of the very file loaded. Nil when the file cannot be read.
    public init?(running library: PluginLibrary, chainID: Bytes32, fromHeight: Height, expiresAtHeight: Height? = nil) {
        guard let digest = PluginFileDigest.sha256(path: library.path).flatMap(Hex.decode).flatMap(Bytes32.init) else {
            return nil
        }
        self.init(chainID: chainID, fromHeight: fromHeight,
                  expiresAtHeight: expiresAtHeight ?? Self.defaultDeadline(before: fromHeight),
                  plugin: library.info.name, pluginVersion: library.info.version, sha256: digest)
    }
}

extension UpgradePlan: GovernedPlan {
    /// U-1, U-2: at most 16 open at once.
    public static let rules = GovernanceRules(
        openPlansMax: 16, pluralNoun: "plans",
        notOpen: { "plan \($0.short) is not open (never proposed, expired or decided)" })
}
