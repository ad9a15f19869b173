import Foundation
import Node
import BatonTestSupport
import Testing

/// node.toml: every key an operator can write is read. `join = true` was
/// missing from the decoder's keys and silently ignored, so a key the
/// genesis did not list was refused even with it set.
@Suite struct NodeConfigTests {
    let text = """
        key_file = "key.json"
        genesis_file = "../genesis.json"
        data_dir = "data"
        listen = "0.0.0.0:7100"
        api = "127.0.0.1:8100"
        plugin_dir = "/opt/baton/plugins"
        plugin = "robot-v2"
        plugin_config = "chain = 10.0.0.2:8600"
        join = true
        stop_linger_ms = 500
        pending_deadline_ms = 2000
        log_level = "debug"
        plugin_isolation = "process"

        [consensus]
        timeout_ms_base = 1500
        timeout_ms_max = 20000
        idle_block_interval_ms = 250
        backoff_permille = 1500
        tolerated_failures = 1

        [mempool]
        transactions_max = 1000
        bytes_max = 65536
        batch_transactions_max = 100
        batch_bytes_max = 4096

        [storage]
        sync_writes = true
        retain_blocks = 5000
        snapshot_interval = 10000
        snapshots_kept = 3

        [http]
        connections_max = 64
        idle_timeout_ms = 5000
        event_streams_max = 8

        [plugin_budgets]
        check_tx_ms = 250
        query_ms = 3000
        function_ms = 4000
        produce_block_ms = 700
        validate_block_ms = 800
        commit_block_ms = 1500
        block_transactions_ms = 600
        side_queue_max = 100
        side_per_peer_max = 3
        side_workers_max = 2
        """

    @Test func everyKeyIsRead() throws {
        let dir = try makeTemporaryDirectory("baton-config")
        try text.write(toFile: dir + "/node.toml", atomically: true, encoding: .utf8)
        let config = try NodeConfig.load(dir + "/node.toml")
        #expect(config.join == true)
        #expect(config.listen == "0.0.0.0:7100" && config.api == "127.0.0.1:8100")
        #expect(config.plugin_dir == "/opt/baton/plugins" && config.plugin == "robot-v2")
        #expect(config.plugin_config == "chain = 10.0.0.2:8600")
        #expect(config.stop_linger_ms == 500 && config.pending_deadline_ms == 2000 && config.log_level == "debug")
        #expect(config.consensus?.timeout_ms_base == 1500 && config.consensus?.timeout_ms_max == 20000)
        #expect(config.consensus?.idle_block_interval_ms == 250 && config.consensus?.backoff_permille == 1500)
        #expect(config.consensus?.tolerated_failures == 1)
        #expect(config.mempool?.transactions_max == 1000 && config.mempool?.bytes_max == 65536)
        #expect(config.mempool?.batch_transactions_max == 100 && config.mempool?.batch_bytes_max == 4096)
        #expect(config.storage?.sync_writes == true && config.storage?.retain_blocks == 5000)
        #expect(try NodeBootstrap.retainedBlocks(config.storage) == 5000)
        #expect(try NodeBootstrap.snapshotSchedule(config.storage).map { [$0.interval, UInt64($0.kept)] } == [10000, 3])
        #expect(config.http?.connections_max == 64 && config.http?.idle_timeout_ms == 5000 && config.http?.event_streams_max == 8)
        #expect(config.plugin_isolation == "process")
        let (budgets, lane) = try NodeBootstrap.pluginBudgets(config.plugin_budgets)
        #expect(budgets.checkTxMs == 250 && budgets.queryMs == 3000 && budgets.functionMs == 4000)
        #expect(budgets.produceBlockMs == 700 && budgets.validateBlockMs == 800 && budgets.commitBlockMs == 1500)
        #expect(budgets.blockTransactionsMs == 600)
        #expect(lane.queueMax == 100 && lane.perPeerMax == 3 && lane.workersMax == 2)
        #expect(config.resolve("key.json") == dir + "/key.json")
        // Written back and read again, nothing is lost.
        try config.toml().write(toFile: dir + "/again.toml", atomically: true, encoding: .utf8)
        let again = try NodeConfig.load(dir + "/again.toml")
        #expect(again.join == true && again.log_level == "debug" && again.http?.event_streams_max == 8)
        #expect(again.storage?.retain_blocks == 5000)
    }

    /// A retained window smaller than the node needs is refused at start
    /// (and by `baton node --check`), saying what to do; absent keeps everything.
    @Test func aTooSmallRetainedWindowIsRefused() throws {
        var table = NodeConfig.Storage()
        table.retain_blocks = 10
        #expect { _ = try NodeBootstrap.retainedBlocks(table) } throws: {
            "\($0)".contains("retain_blocks = 10: must be at least 1024") && "\($0)".contains("remove it to keep every block")
        }
        #expect(try NodeBootstrap.retainedBlocks(nil) == nil)
        table = NodeConfig.Storage()
        table.snapshot_interval = 0
        #expect { _ = try NodeBootstrap.snapshotSchedule(table) } throws: { "\($0)".contains("snapshot_interval = 0") }
        table.snapshot_interval = 100
        table.snapshots_kept = 0
        #expect { _ = try NodeBootstrap.snapshotSchedule(table) } throws: { "\($0)".contains("snapshots_kept = 0: must be 1 to 16") }
        #expect(try NodeBootstrap.retainedBlocks(NodeConfig.Storage()) == nil)
    }

    /// A budget or bound out of range is refused at start, naming the key.
    @Test func aBadPluginBudgetIsRefusedNamingTheKey() throws {
        var table = NodeConfig.PluginBudgetTable()
        table.check_tx_ms = 0
        #expect { _ = try NodeBootstrap.pluginBudgets(table) } throws: { "\($0)".contains("check_tx_ms = 0") }
        table = NodeConfig.PluginBudgetTable()
        table.side_workers_max = 100
        #expect { _ = try NodeBootstrap.pluginBudgets(table) } throws: { "\($0)".contains("side_workers_max = 100: must be 1 to 16") }
        let defaults = try NodeBootstrap.pluginBudgets(nil)
        #expect(defaults.0 == PluginBudgets() && defaults.1 == PluginSideLane.Limits())
    }
}
