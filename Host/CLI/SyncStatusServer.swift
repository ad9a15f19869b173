import BatonConfig
import BatonConsole
import Logging
import Node
import NodeHTTP
import ServiceLifecycle

/// The API port's tenant while a state sync runs (`HTTPAPI.syncing`):
/// started when the sync is sure to run, stopped — and the port released —
/// before the node's own API binds it. Without `api` in node.toml, nothing.
actor SyncStatusServer {
    private let api: String?
    private let logger: Logger
    private var running: (task: Task<Void, Never>, group: ServiceGroup)?

    init(api: String?, logger: Logger) {
        self.api = api
        self.logger = logger
    }

    func start(_ watch: StateSyncWatch) {
        guard running == nil, let api, let address = try? PeerAddress(parsing: api) else { return }
        let app = HTTPAPI.syncing(watch: watch, host: address.host, port: address.port, logger: logger)
        let logger = self.logger
        var quiet = logger
        quiet.logLevel = .warning
        let group = ServiceGroup(configuration: .init(services: [.init(service: app)], logger: quiet))
        let task = Task {
            do { try await group.run() } catch {
                logger.warning("the state sync's status API stopped", metadata: ["error": "\(error)"])
            }
        }
        running = (task, group)
        printLine("state sync: progress on http://\(address.host):\(address.port)/v1/status")
    }

    /// A graceful shutdown, not a cancellation: cancelled, Hummingbird logs
    /// two errors ("Waiting on child channel", "Server shutdown error") on
    /// every successful sync. Awaiting the task waits for the port to close.
    func stop() async {
        guard let running else { return }
        await running.group.triggerGracefulShutdown()
        await running.task.value
        self.running = nil
    }
}
