// swift-tools-version: 6.1
//
// Baton: a Byzantine-fault-tolerant replication host. See README.md and
// ../shared/DESIGN.md. Layout: Host/ (host targets), PluginAPI/ (the C ABI and
// the Swift plugin kit), Plugins/ (shipped applications), Tests/.
//
// Dependencies, and why each earns its build minutes:
// - swift-argument-parser: the `baton` CLI.
// - swift-log: structured logging in library code (never `print`).
// - swift-crypto: SHA-256 now (the host's sha256 callback, block ids later),
//   X25519 + ChaChaPoly for the transport later.
import PackageDescription

let package = Package(
    name: "Baton",
    products: [
        .executable(name: "baton", targets: ["BatonCLI"]),
        // The checkpoint-assisted proof-of-work chain node (Metronome).
        .executable(name: "powchain", targets: ["PowChain"]),
        // Shipped applications: real shared objects the host dlopens. SwiftPM
        // writes them as lib<name>.so next to the `baton` binary.
        .library(name: "robot", type: .dynamic, targets: ["RobotEntry"]),
        // The robot's second build (adds a command): the live-upgrade demo's target.
        .library(name: "robot-v2", type: .dynamic, targets: ["RobotV2Entry"]),
        .library(name: "kvstore", type: .dynamic, targets: ["KVStorePlugin"]),
        // The checkpointing interpreter, two policies: swapped by config alone.
        .library(name: "checkpointing", type: .dynamic, targets: ["CheckpointingPlugin"]),
        .library(name: "checkpointing-aged", type: .dynamic, targets: ["CheckpointingAgedPlugin"]),
        // For authors of Swift plugins.
        .library(name: "BatonPluginKit", targets: ["BatonPluginKit"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-crypto", "3.12.3"..<"5.0.0"),
        // TCP transport between nodes.
        .package(url: "https://github.com/apple/swift-nio", from: "2.80.0"),
        // NIOHTTPTypes (the API's answer to unparsable requests). Already in
        // the graph through Hummingbird, so it costs no build time.
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.34.1"),
        // The node's HTTP API (transactions, status, blocks, events, pages).
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.0.0"),
        // Prometheus metrics for /metrics (on swift-metrics' types).
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.0.0"),
        // Node configuration files (TOML, as operators expect).
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
        // `baton node` runs as a ServiceGroup: graceful shutdown on SIGINT/SIGTERM.
        // Already in the graph through Hummingbird, so it costs no build time.
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.6.0"),
        // Deque for the node's bounded input queue. Already in the graph
        // through Hummingbird, so it costs no build time.
        .package(url: "https://github.com/apple/swift-collections", from: "1.1.0"),
    ],
    targets: [
        // The ABI: one C99 header (PluginAPI/include/baton_plugin.h) and a file
        // of static layout assertions.
        .target(
            name: "BatonPluginAPI",
            path: "PluginAPI",
            exclude: ["Kit"],
            sources: ["src"],
            publicHeadersPath: "include"
        ),
        // Swift plugin kit: implement `BatonApplication`, export the entry in a
        // few lines; no Swift type crosses the ABI.
        .target(
            name: "BatonPluginKit",
            dependencies: ["BatonPluginAPI"],
            path: "PluginAPI/Kit"
        ),
        // libffi from Debian's libffi-dev: the host calls a plugin's typed
        // functions (ABI 1.3) by their declared signatures, no wrapper each.
        .systemLibrary(
            name: "CFFI",
            path: "Host/CFFI",
            pkgConfig: "libffi",
            providers: [.apt(["libffi-dev"])]
        ),
        .target(
            name: "PluginHost",
            dependencies: [
                "BatonPluginAPI",
                "CFFI",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            path: "Host/PluginHost"
        ),
        // libsecp256k1 from Debian's libsecp256k1-dev.
        .systemLibrary(
            name: "CSecp256k1",
            path: "Host/CSecp256k1",
            pkgConfig: "libsecp256k1",
            providers: [.apt(["libsecp256k1-dev"])]
        ),
        // Keys, ECDSA signatures and SHA-256; the protocol-level types
        // (Bytes32, PublicKey, Signature, signer/verifier protocols) consensus uses.
        .target(
            name: "BatonCrypto",
            dependencies: [
                "CSecp256k1",
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            path: "Host/BatonCrypto"
        ),
        // The pure Jolteon state machine: no I/O, no clocks, no threads.
        .target(
            name: "Consensus",
            dependencies: ["BatonCrypto"],
            path: "Host/Consensus"
        ),
        // What a federation is configured with and nothing more: the genesis
        // (members, addresses, leader election) and peer addresses. Light, so
        // tools such as powchain read a genesis without linking the node.
        .target(
            name: "BatonConfig",
            dependencies: ["Consensus", "BatonCrypto"],
            path: "Host/Config"
        ),
        // The HTTP API's answers as Codable types: what the node writes and the
        // CLI, the benchmarks and the tests read back (Foundation only).
        .target(
            name: "BatonAPI",
            dependencies: [],
            path: "Host/API"
        ),
        // Authenticated, encrypted TCP between nodes (SwiftNIO + swift-crypto).
        // Not named "Network": packages probe `canImport(Network)` for Apple's
        // framework, and on Linux they would find this module instead.
        .target(
            name: "BatonNetwork",
            dependencies: [
                "Consensus", "BatonCrypto", "BatonConfig",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Host/Network"
        ),
        // RocksDB from Debian's librocksdb-dev, through its C API.
        .systemLibrary(
            name: "CRocksDB",
            path: "Host/CRocksDB",
            pkgConfig: "rocksdb",
            providers: [.apt(["librocksdb-dev"])]
        ),
        // The node's only storage engine: blocks, certificates, the finalized
        // index, safety data, app state namespaces.
        .target(
            name: "Storage",
            dependencies: ["CRocksDB", "Consensus", "BatonCrypto"],
            path: "Host/Storage"
        ),
        // Governance: what the operators decide on the chain (live upgrades,
        // committee changes) as pure values: the plans, one approval, the host
        // transactions that carry them, one schedule with per-kind rules.
        .target(
            name: "Governance",
            dependencies: ["Consensus", "BatonCrypto", "PluginHost"],
            path: "Host/Governance"
        ),
        // The node: the shell around the consensus core.
        .target(
            name: "Node",
            dependencies: [
                "Storage", "PluginHost", "Consensus", "BatonCrypto", "BatonNetwork", "Governance", "BatonConfig", "BatonAPI",
                .product(name: "TOMLKit", package: "TOMLKit"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "DequeModule", package: "swift-collections"),
            ],
            path: "Host/Node"
        ),
        // The node's HTTP API (Hummingbird): one file per resource, the status
        // page, the error middleware; it answers with BatonAPI's types.
        .target(
            name: "NodeHTTP",
            dependencies: [
                "Node", "BatonAPI", "PluginHost", "Consensus", "BatonCrypto", "Governance",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Hummingbird", package: "hummingbird"),
                // Its connection cap (MaximumAvailableConnections) and, for a JSON
                // answer to requests NIO cannot parse, the HTTP parts below it;
                // all built with Hummingbird anyway.
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
            ],
            path: "Host/HTTP"
        ),
        // Many cores in one process over a simulated network and clock.
        .target(
            name: "Simulation",
            dependencies: ["Consensus", "BatonCrypto"],
            path: "Host/Simulation"
        ),
        // Checkpoint certificates (Metronome): the payload and certificate
        // formats and their offline verification, shared by `baton checkpoint`
        // and the proof-of-work chain node.
        .target(
            name: "Checkpointing",
            dependencies: ["Consensus", "BatonCrypto"],
            path: "Plugins/Checkpointing/Certificate"
        ),
        // The proof-of-work chain's pure core: blocks, fork choice honouring
        // checkpoints, its RocksDB store.
        .target(
            name: "ProofOfWorkChain",
            dependencies: ["Checkpointing", "Consensus", "BatonCrypto", "Storage"],
            path: "Plugins/Checkpointing/Chain"
        ),
        .executableTarget(
            name: "PowChain",
            dependencies: [
                "ProofOfWorkChain", "Checkpointing", "Consensus", "BatonCrypto", "BatonConfig",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Plugins/Checkpointing/PowChain"
        ),
        // What the CLI and the benchmarks both print and fetch: tables,
        // unbuffered lines, GETs of a node's API, quiet helper processes.
        .target(
            name: "BatonConsole",
            dependencies: [],
            path: "Host/Console"
        ),
        // Every benchmark and the load generator, as `baton bench` subcommands.
        .target(
            name: "BatonBench",
            dependencies: [
                "BatonConsole", "BatonAPI", "PluginHost", "BatonCrypto", "Consensus", "Simulation", "Storage", "Node", "NodeHTTP",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Host/Bench"
        ),
        .executableTarget(
            name: "BatonCLI",
            dependencies: [
                "BatonAPI",
                "NodeHTTP",
                "BatonConsole",
                "BatonBench",
                "PluginHost",
                "BatonCrypto",
                "Consensus",
                "Simulation",
                "Storage",
                "Node",
                "Governance",
                "BatonConfig",
                "Checkpointing",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Host/CLI"
        ),
        // The robot application, shared by its two builds; each build is a
        // target holding only its export (one `baton_plugin_entry` per .so).
        .target(
            name: "RobotPlugin",
            dependencies: ["BatonPluginKit"],
            path: "Plugins/Robot/App"
        ),
        .target(name: "RobotEntry", dependencies: ["RobotPlugin", "BatonPluginKit"], path: "Plugins/Robot/Entry"),
        .target(name: "RobotV2Entry", dependencies: ["RobotPlugin", "BatonPluginKit"], path: "Plugins/Robot/EntryV2"),
        // The interpreter links no host module (the host would then hold two
        // copies of its Swift types); only the kit and Foundation.
        .target(
            name: "CheckpointInterpreter",
            dependencies: ["BatonPluginKit"],
            path: "Plugins/Checkpointing/Interpreter"
        ),
        .target(
            name: "CheckpointingPlugin",
            dependencies: ["CheckpointInterpreter"],
            path: "Plugins/Checkpointing/Plugin"
        ),
        .target(
            name: "CheckpointingAgedPlugin",
            dependencies: ["CheckpointInterpreter"],
            path: "Plugins/Checkpointing/AgedPlugin"
        ),
        // Plain C, against the header alone; also built by one `cc` line (README).
        .target(
            name: "KVStorePlugin",
            dependencies: ["BatonPluginAPI"],
            path: "Plugins/KVStore"
        ),
        // Helpers every test target shares: paths to built binaries, polling,
        // an in-memory network, an in-process cluster of real nodes, process
        // runners, signed-object builders. Not a test target: code, not tests.
        .target(
            name: "BatonTestSupport",
            dependencies: [
                "BatonConsole", "Node", "Storage", "PluginHost", "Consensus", "BatonCrypto", "Simulation",
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tests/BatonTestSupport"
        ),
        .testTarget(
            name: "CryptoTests",
            dependencies: ["BatonCrypto"],
            path: "Tests/CryptoTests"
        ),
        .testTarget(
            name: "ConsensusTests",
            dependencies: ["Consensus", "BatonCrypto", "Simulation", "BatonTestSupport"],
            path: "Tests/ConsensusTests"
        ),
        .testTarget(
            name: "StorageTests",
            dependencies: ["Storage", "Node", "PluginHost", "Consensus", "Simulation", "BatonTestSupport"],
            path: "Tests/StorageTests"
        ),
        .testTarget(
            name: "NetworkTests",
            dependencies: ["BatonNetwork", "BatonConfig", "Consensus", "BatonCrypto", "Simulation", "BatonTestSupport",
                           .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOEmbedded", package: "swift-nio")],
            path: "Tests/NetworkTests"
        ),
        .testTarget(
            name: "NodeTests",
            dependencies: ["Node", "NodeHTTP", "BatonAPI", "Governance", "BatonConfig", "BatonNetwork", "BatonCrypto", "Consensus", "Storage", "PluginHost",
                           "Simulation", "BatonTestSupport"],
            path: "Tests/NodeTests"
        ),
        .testTarget(
            name: "CheckpointingTests",
            dependencies: ["Checkpointing", "ProofOfWorkChain", "Consensus", "BatonCrypto"],
            path: "Tests/CheckpointingTests"
        ),
        .testTarget(
            name: "SimulationTests",
            dependencies: ["Simulation", "Consensus", "BatonTestSupport"],
            path: "Tests/SimulationTests"
        ),
        .testTarget(
            name: "PluginHostTests",
            // Not RobotPlugin: tests reach plugins only through dlopen of the
            // built .so, as the node does; linking a plugin module in as well
            // would put two copies of its Swift types in one process.
            dependencies: ["PluginHost", "BatonTestSupport"],
            path: "Tests/PluginHostTests"
        ),
        // The `baton` binary as a user runs it: exit codes, messages, and a
        // simulator seed replayed in separate processes.
        .testTarget(
            name: "CLITests",
            dependencies: ["BatonTestSupport", "Simulation"],
            path: "Tests/CLITests"
        ),
    ],
    cLanguageStandard: .c99
)
