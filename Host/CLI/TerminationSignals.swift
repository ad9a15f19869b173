import Dispatch

#if canImport(Glibc)
import Glibc
#endif

/// Calls `handler` on SIGINT and SIGTERM instead of letting them kill the
/// process, so commands can stop what they started. Keep the returned sources
/// alive; cancel them to stop listening.
func onTerminationSignals(_ handler: @escaping @Sendable () -> Void) -> [DispatchSourceSignal] {
    [SIGINT, SIGTERM].map { number in
        signal(number, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: number)
        source.setEventHandler(handler: handler)
        source.resume()
        return source
    }
}
