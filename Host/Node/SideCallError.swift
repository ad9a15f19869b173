/// Why a query or typed function call got no answer from the plugin now:
/// HTTP 503 with this text. Neither is the caller's fault, and neither
/// touched the consensus loop.
public enum SideCallError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The side lane's queue is full (`PluginSideLane.Limits.queueMax`).
    case busy(String)
    /// The call passed its budget (`PluginBudgets`); it may still be running.
    case overBudget(PluginWatchdog.Overrun)

    public var description: String {
        switch self {
        case .busy(let reason): reason
        case .overBudget(let overrun): "no answer: \(overrun.text); retry later"
        }
    }
}
