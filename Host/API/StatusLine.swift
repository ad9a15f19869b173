/// What `baton node --json` prints once a second on standard output: the
/// node's progress and what its application's empty query answers (`app`,
/// the plugin's own JSON, read as `App`; nil when it answers nothing or not JSON).
public struct StatusLine<App: Decodable & Sendable>: Decodable, Sendable {
    public var view: UInt64
    public var finalized: UInt64
    public var hash: String
    public var peers: Int
    public var evidence: Int
    public var app: App?

    enum CodingKeys: String, CodingKey { case view, finalized, hash, peers, evidence, app }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        view = try container.decode(UInt64.self, forKey: .view)
        finalized = try container.decode(UInt64.self, forKey: .finalized)
        hash = try container.decode(String.self, forKey: .hash)
        peers = try container.decode(Int.self, forKey: .peers)
        evidence = try container.decode(Int.self, forKey: .evidence)
        // The plugin's JSON is its own: a shape this reader does not expect is no status lost.
        app = try? container.decodeIfPresent(App.self, forKey: .app)
    }
}
