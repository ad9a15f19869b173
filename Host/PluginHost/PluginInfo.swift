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
}
