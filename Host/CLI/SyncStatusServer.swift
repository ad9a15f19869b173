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
    private var running: Task<Void, Never>?

    init(api: String?, logger: Logger) {
        self.api = api
        self.logger = logger
    }

    func start(_ watch: StateSyncWatch) {
        guard running == nil, let api, let address = try? PeerAddress(parsing: api) else { return }
        let app = HTTPAPI.syncing(watch: watch, host: address.host, port: address.port, logger: logger)
        let logger = self.logger
        running = Task {
            do { try await app.runService() } catch {
                logger.warning("the state sync's status API stopped", metadata: ["error": "\(error)"])
            }
        }
        printLine("state sync: progress on http://\(address.host):\(address.port)/v1/status")
    }

    /// Cancelling shuts Hummingbird down gracefully; awaiting the task waits for the port to close.
    func stop() async {
        guard let running else { return }
        running.cancel()
        await running.value
        self.running = nil
    }
}
