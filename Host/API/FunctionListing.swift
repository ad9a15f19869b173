/// `GET /v1/apps/functions`: the typed functions the application exports
/// (ABI 1.3), which `baton call` types its arguments by.
public struct FunctionListing: Codable, Sendable, Hashable {
    public var plugin: String
    public var functions: [Function]

    public init(plugin: String, functions: [Function]) { (self.plugin, self.functions) = (plugin, functions) }

    public struct Function: Codable, Sendable, Hashable {
        public var name: String
        /// "(x: i64, y: i64) -> f64".
        public var signature: String
        public var description: String
        public var parameters: [Parameter]
        public var result: String

        public init(name: String, signature: String, description: String, parameters: [Parameter], result: String) {
            (self.name, self.signature, self.description, self.parameters, self.result) = (name, signature, description, parameters, result)
        }
    }

    public struct Parameter: Codable, Sendable, Hashable {
        public var name: String
        /// "i32", "i64", "u32", "u64", "f64", "bool", "str" or "bytes".
        public var type: String

        public init(name: String, type: String) { (self.name, self.type) = (name, type) }
    }
}
