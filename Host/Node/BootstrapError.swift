/// Why a node could not start, and what to fix. A struct around a private
/// code (swift-service-lifecycle's error shape), so new causes do not break
/// callers that switch on nothing but the message.
public struct BootstrapError: Error, CustomStringConvertible, Sendable {
    enum Code: Sendable {
        case genesis(String)
        case key(String)
        case unknownKey(String)
        /// The setting, and what is wrong with its address.
        case address(String, String)
        case dataDirectory(String, String)
        case store(String, String)
        case plugin(String)
        case consensus(String)
        case mempool(String)
        case pluginBudgets(String)
        case pluginIsolation(String)
        case storage(String)
    }

    let code: Code

    init(_ code: Code) { self.code = code }

    public var description: String {
        switch code {
        case .genesis(let why): "\(why) — check genesis_file in the node's config"
        case .key(let why): "\(why) — check key_file in the node's config"
        case .unknownKey(let publicKey):
            "this node's key \(publicKey) is neither a committee member nor a listed follower of this chain: "
                + "point key_file at the member's key, add the key to the genesis's listeners to run a follower, "
                + "or set join = true in node.toml to follow the chain until a committee change names this key"
        case .address(let setting, let why): "config: \(setting): \(why)"
        case .dataDirectory(let path, let why):
            "cannot use the data directory \(path): \(why)"
        case .store(let path, let why): "cannot open the store in \(path): \(why)"
        case .plugin(let why): why
        case .consensus(let problem): "config [consensus]: \(problem)"
        case .mempool(let problem): "config [mempool]: \(problem)"
        case .pluginBudgets(let problem): "config [plugin_budgets]: \(problem)"
        case .pluginIsolation(let problem): "config: \(problem)"
        case .storage(let problem): "config [storage]: \(problem)"
        }
    }
}
