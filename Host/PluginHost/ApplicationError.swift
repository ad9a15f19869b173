/// A failure of one call into the application. Never fatal to the host on its
/// own; see `Application` for what the caller does with it.
public struct ApplicationError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Kind: Sendable, Hashable {
        /// The app reported a failure (BATON_ERROR) with its own message.
        case failed
        /// The app broke the ABI contract: an unknown status code, a wrong-sized
        /// answer, a completion with a status that call cannot return.
        case contractViolation
        /// The host refused the arguments before calling the app.
        case invalidArgument
        /// The plugin's process died in the call, or was killed past the
        /// call's budget (`plugin_isolation = "process"`); the next call
        /// restarts it from the committed state.
        case crashed
    }

    public let kind: Kind
    /// The ABI call, e.g. "validate_block".
    public let call: String
    public let message: String

    public init(_ kind: Kind, call: String, message: String) {
        self.kind = kind
        self.call = call
        self.message = message
    }

    public var description: String {
        switch kind {
        case .failed: "\(call) failed: \(message)"
        case .contractViolation: "\(call) broke the plugin contract: \(message). The plugin has a bug; report it to its author."
        case .invalidArgument: "\(call) not called: \(message)"
        case .crashed: "\(call) crashed: \(message)"
        }
    }
}
