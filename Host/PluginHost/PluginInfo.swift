/// What a plugin says about itself, copied out of its descriptor at load time
/// (the host never reads the plugin's strings again).
public struct PluginInfo: Sendable, Hashable, Codable {
    public var name: String
    public var version: String
    public var description: String
    /// The ABI version the plugin was built against.
    public var abiMajor: UInt32
    public var abiMinor: UInt32

    public init(name: String, version: String, description: String, abiMajor: UInt32, abiMinor: UInt32) {
        self.name = name
        self.version = version
        self.description = description
        self.abiMajor = abiMajor
        self.abiMinor = abiMinor
    }

    public var abiVersion: String { "\(abiMajor).\(abiMinor)" }

    /// The header's rule for a plugin's (and a typed function's) name:
    /// 1-64 of a-z, 0-9, '-', '_'. One rule for the loader, the function
    /// table and upgrade plans.
    public static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.count <= 64 && name.utf8.allSatisfy {
            ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2D || $0 == 0x5F
        }
    }
}
