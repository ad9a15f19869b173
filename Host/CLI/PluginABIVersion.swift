import PluginHost

enum PluginABIVersion {
    static var text: String { PluginABI.version }
}
