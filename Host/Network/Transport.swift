import BatonCrypto
import Consensus
import Logging
import NIOCore
import NIOPosix
import Synchronization

/// Authenticated, encrypted TCP between nodes.
///
/// Each pair of nodes keeps one connection: the node whose public key sorts
/// lower dials, the other accepts (followers always dial). A connection first
/// runs the `Handshake`; a key outside the committee and the configured
/// listeners is refused and counted. Then every frame is a ChaChaPoly-sealed
/// `Message`. Dialling retries with exponential backoff (100 ms to 5 s).
///
/// Unauthenticated connections are bounded (`ConnectionLimits`): in number
/// (64, and 8 per IP address), in frame size (256 bytes) and in time (5 s).
///
/// One key, one connection: a second connection presenting a key that already
/// has a live connection is refused, counted in `duplicateKeyConnections` and
/// warned about — two processes run with one key. The established connection
/// wins while it is alive (keep-alives every second; 5 s of silence closes
/// it), and a node accepts a key only if that key is the one to dial it (the
/// lower key dials; followers dial): so a twin can never take the slot of a
/// connection this node dialled to the genesis address, and the real member,
/// which keeps dialling, gets its slot back within seconds of the twin going.
///
/// Send queues: one per peer (`PeerSender`: the connection's event loop seals
/// and writes), bounded at `queueFramesMax` frames not yet written. When a
/// queue is full the new message is dropped, counted in `stats.droppedMessages` and
/// logged with its kind (consensus recovers lost votes and timeouts by
/// re-broadcast and block sync; nothing is dropped silently).
public actor Transport {
    public struct Peer: Sendable, Hashable {
        public let key: PublicKey
        public let host: String
        public let port: Int
        public init(key: PublicKey, host: String, port: Int) {
            self.key = key
            self.host = host
            self.port = port
        }
    }

    public struct Stats: Sendable, Hashable {
        public var connectedPeers = 0
        public var refusedConnections = 0
        public var droppedMessages = 0
        public var badFrames = 0
        /// Connections refused because their key already had a live one.
        public var duplicateKeyConnections = 0
    }

    /// What happens to connections, for logs, metrics and tests.
    public enum ConnectionEvent: Sendable, Hashable {
        case connected(PublicKey)
        case disconnected(PublicKey)
        case refused(HandshakeError)
        case badFrame(String)
        /// A second connection presented `key` while its first was alive.
        case duplicateKey(PublicKey)
    }

    public nonisolated let inbound: AsyncStream<(from: PublicKey, message: Message)>
    private let inboundContinuation: AsyncStream<(from: PublicKey, message: Message)>.Continuation
    public nonisolated let events: AsyncStream<ConnectionEvent>
    private let eventsContinuation: AsyncStream<ConnectionEvent>.Continuation
    let chainID: Bytes32
    let signer: any MessageSigner
    let verifier: any SignatureVerifier
    private var peers: [Peer] = []
    /// Who may connect and who dials whom; replaced when the committee
    /// changes (`updateMembership`). Read by every handshake, off the actor.
    struct Membership: Sendable {
        var allowed: Set<PublicKey>
        var listeners: Set<PublicKey>
        var dialsEveryone: Bool
    }
    private let membership: Mutex<Membership>
    var allowed: Set<PublicKey> { membership.withLock { $0.allowed } }
    let frameBytesMax: Int
    let queueFramesMax: Int
    let limits: ConnectionLimits
    /// NIO's process-wide loops (one per core), shared with the HTTP API:
    /// a transport of its own group started a thread and waited for it in
    /// `init`, a blocking call on whichever task built it.
    let group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    let logger: Logger
    /// Per-peer senders. Behind a mutex rather than the actor, so that
    /// `send` and `broadcast` are synchronous calls from the node's loop —
    /// no hop through this actor per message (profiled: thread switches were
    /// the largest single cost at batch 1).
    private let queues = Mutex<[PublicKey: PeerSender]>([:])
    private let droppedCount = Atomic<Int>(0)
    /// Where inbound messages go: `inbound`, or the sink given at init.
    private let deliver: @Sendable (PublicKey, Message) -> Void
    private var connectionCount = 0
    private var counters = Stats()
    public var stats: Stats {
        var stats = counters
        stats.connectedPeers = queues.withLock { $0.count }
        stats.droppedMessages = droppedCount.load(ordering: .relaxed)
        return stats
    }
    private var tasks: [Task<Void, Never>] = []
    /// The dialling task of each peer this node dials (one per member at most).
    private var dials: [PublicKey: (peer: Peer, task: Task<Void, Never>)] = [:]
    /// Accepted connections' tasks, removed as they end.
    private var connections: [Int: Task<Void, Never>] = [:]
    private var acceptedCount = 0
    /// Accepted connections still in their handshake: id → remote IP address.
    private var pending: [Int: String] = [:]
    private var pendingPerAddress: [String: Int] = [:]
    private var stopped = false
    private var server: NIOAsyncChannel<Connection, Never>?

    /// A framed channel, the frame limit its decoder reads, and the reader
    /// that opens its frames once the handshake is done.
    struct Connection: Sendable {
        let channel: NIOAsyncChannel<ByteBuffer, ByteBuffer>
        let frameLimit: FrameLimit
        let reader: NIOLoopBound<SessionReader>
        let readOutcome: SessionReader.Outcome
    }

    /// - Parameters:
    ///   - members: the committee's keys (allowed to connect).
    ///   - listeners: keys of non-voting followers allowed to connect.
    ///   - dialsEveryone: a follower dials all peers.
    ///   - deliver: receives every inbound message on the connection's event
    ///     loop, in place of the `inbound` stream (which then stays empty): one task
    ///     switch less per message for a node that has its own input queue.
    public init(chainID: Bytes32, signer: any MessageSigner, verifier: any SignatureVerifier, members: [PublicKey],
                listeners: [PublicKey] = [], dialsEveryone: Bool = false, frameBytesMax: Int = WireLimits.standard.messageBytesMax + 64,
                queueFramesMax: Int = 4_096, limits: ConnectionLimits = ConnectionLimits(),
                logger: Logger = Logger(label: "baton.network"),
                deliver: (@Sendable (PublicKey, Message) -> Void)? = nil) {
        self.chainID = chainID
        self.signer = signer
        self.verifier = verifier
        membership = Mutex(Membership(allowed: Set(members + listeners).subtracting([signer.publicKey]),
                                      listeners: Set(listeners), dialsEveryone: dialsEveryone))
        self.frameBytesMax = frameBytesMax
        self.queueFramesMax = queueFramesMax
        self.limits = limits
        self.logger = logger
        let (inbound, inboundContinuation) = AsyncStream.makeStream(of: (from: PublicKey, message: Message).self,
                                                                    bufferingPolicy: .bufferingNewest(16_384))
        (self.inbound, self.inboundContinuation) = (inbound, inboundContinuation)
        self.deliver = deliver ?? { inboundContinuation.yield(($0, $1)) }
        (events, eventsContinuation) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1_024))
    }

    /// Listens on `host:port` (0: any free port). Returns the bound port.
    @discardableResult
    public func listen(host: String, port: Int) async throws -> Int {
        let limits = self.limits
        let server = try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .bind(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture { try Self.framed(channel, limits: limits) }
            }
        self.server = server
        let bound = server.channel.localAddress?.port ?? port
        tasks.append(Task { await self.accept(server) })
        return bound
    }

    /// Starts keeping connections to `peers` (those this node dials; the
    /// others dial it).
    public func connect(to peers: [Peer]) {
        self.peers = peers.filter { $0.key != signer.publicKey }
        startDials()
        tasks.append(Task { await self.dialEveryoneIfIsolated() })
    }

    /// A node whose committee is out of date (restarted from an empty data
    /// directory after the chain changed its committee: the others no longer
    /// count it a member, and never dial it) may dial nobody the others
    /// accept. After `isolationLimit` without a single connection it dials
    /// every peer it knows, as a follower does; the peers take it as one.
    private func dialEveryoneIfIsolated() async {
        while !Task.isCancelled, !stopped, !membership.withLock({ $0.dialsEveryone }) {
            try? await Task.sleep(for: limits.isolationLimit)
            if queues.withLock({ $0.isEmpty }) { break }
        }
        guard !Task.isCancelled, !stopped else { return }
        let changed = membership.withLock { membership in
            defer { membership.dialsEveryone = true }
            return !membership.dialsEveryone
        }
        guard changed else { return }
        logger.notice("no peer reached: dialling every known peer (this node's view of the committee may be out of date)",
                      metadata: ["after": "\(limits.isolationLimit)"])
        startDials()
    }

    /// A committee change: `members` (with their addresses) and `listeners`
    /// may connect from now on, anyone else is disconnected; dials start to
    /// new members (by the usual rule: the lower key dials, a node outside
    /// the committee — or one that ever was — dials everyone) and stop to
    /// those no longer dialled.
    /// Bound: one dialling task per member, as at start.
    public func updateMembership(members: [Peer], listeners: [PublicKey], isMember: Bool) {
        let me = signer.publicKey
        let allowed = Set(members.map(\.key) + listeners).subtracting([me])
        // Dialling everyone is never switched off: a follower promoted to
        // member keeps the connections it made (members that would dial it
        // see them and leave it be), and a node catching up through old
        // epochs, a member of each in turn, must not drop the peers it learns from.
        membership.withLock { $0 = Membership(allowed: allowed, listeners: Set(listeners), dialsEveryone: $0.dialsEveryone || !isMember) }
        peers = members.filter { $0.key != me }
        startDials()
        // Whoever may no longer connect is disconnected now.
        queues.withLock { queues in
            for (key, sender) in queues where !allowed.contains(key) { sender.close() }
        }
        logger.info("membership changed", metadata: ["members": "\(members.count)", "listeners": "\(listeners.count)",
                                                     "member": "\(isMember)"])
    }

    /// Dials every peer this node should dial and does not yet (at its
    /// current address); stops dialling the others.
    private func startDials() {
        let everyone = membership.withLock { $0.dialsEveryone }
        let wanted = peers.filter { everyone || Self.dials(from: signer.publicKey, to: $0.key) }
        let wantedKeys = Set(wanted.map(\.key))
        for (key, dial) in dials where !wantedKeys.contains(key) || !wanted.contains(dial.peer) {
            dial.task.cancel()
            dials[key] = nil
        }
        for peer in wanted where dials[peer.key] == nil {
            dials[peer.key] = (peer, Task { await self.dial(peer) })
        }
    }

    /// Stops dialling and accepting, closes every connection, and waits (at
    /// most 2 s) for the connection tasks to end. The event loops are the
    /// process's and stay.
    public func shutdown() async {
        guard !stopped else { return }
        stopped = true
        try? await server?.channel.close()
        for sender in queues.withLock({ Array($0.values) }) { sender.close() }
        let running = tasks + Array(connections.values) + dials.values.map(\.task)
        for task in running { task.cancel() }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { for task in running { await task.value } }
            group.addTask { try? await Task.sleep(for: .seconds(2)) }
            await group.next()
            group.cancelAll()
        }
        inboundContinuation.finish()
        eventsContinuation.finish()
    }

    /// Queues `message` for `key` (dropped if not connected); synchronous.
    public nonisolated func send(_ message: Message, to key: PublicKey) {
        guard let sender = queues.withLock({ $0[key] }) else { return }
        enqueue(message.encoded, kind: message, to: key, sender)
    }

    /// Queues `message` for every connected peer; synchronous.
    public nonisolated func broadcast(_ message: Message) {
        let bytes = message.encoded
        for (key, sender) in queues.withLock({ Array($0) }) { enqueue(bytes, kind: message, to: key, sender) }
    }

    public nonisolated var connectedPeers: [PublicKey] { queues.withLock { Array($0.keys) } }

    private nonisolated func enqueue(_ bytes: [UInt8], kind message: Message, to key: PublicKey, _ sender: PeerSender) {
        if !sender.send(bytes) {
            droppedCount.add(1, ordering: .relaxed)
            logger.warning("send queue full; message dropped", metadata: ["peer": "\(key)", "kind": "\(Self.kind(message))"])
        }
    }

    // MARK: - Connections

    static func dials(from me: PublicKey, to peer: PublicKey) -> Bool { me.compressed.lexicographicallyPrecedes(peer.compressed) }

    /// Frames start at the handshake's limit; `serve` raises it after authentication.
    static func framed(_ channel: Channel, limits: ConnectionLimits) throws -> Connection {
        let frameLimit = FrameLimit(limits.handshakeFrameBytesMax)
        let pipeline = channel.pipeline.syncOperations
        try pipeline.addHandler(KeepAlive.Sender(interval: TimeAmount(limits.keepAliveInterval)))
        try pipeline.addHandler(IdleStateHandler(readTimeout: TimeAmount(limits.silenceTimeout)))
        try pipeline.addHandler(KeepAlive.SilenceDetector())
        try pipeline.addHandler(ByteToMessageHandler(FrameDecoder(limit: frameLimit)))
        try pipeline.addHandler(MessageToByteHandler(FrameEncoder()))
        let outcome = SessionReader.Outcome()
        let reader = SessionReader(outcome: outcome)
        try pipeline.addHandler(reader)
        return Connection(channel: try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel),
                          frameLimit: frameLimit, reader: NIOLoopBound(reader, eventLoop: channel.eventLoop),
                          readOutcome: outcome)
    }

    private func accept(_ server: NIOAsyncChannel<Connection, Never>) async {
        do {
            try await server.executeThenClose { connections in
                for try await connection in connections {
                    self.track(connection)
                }
            }
        } catch {
            logger.debug("listener closed", metadata: ["error": "\(error)"])
        }
    }

    /// Admits an accepted connection to its handshake, within the pending bounds.
    private func track(_ connection: Connection) {
        guard !stopped else { return Self.discard(connection) }
        let address = connection.channel.channel.remoteAddress?.ipAddress ?? "unknown"
        guard pending.count < limits.pendingHandshakesMax,
              pendingPerAddress[address, default: 0] < limits.pendingHandshakesPerAddressMax else {
            Self.discard(connection)
            counters.refusedConnections += 1
            // Debug only: a flood must not become a flood of log lines.
            logger.debug("connection refused: too many handshakes pending", metadata: ["address": "\(address)"])
            eventsContinuation.yield(.refused(.overloaded(address)))
            return
        }
        acceptedCount += 1
        let id = acceptedCount
        pending[id] = address
        pendingPerAddress[address, default: 0] += 1
        connections[id] = Task {
            await self.serve(connection, role: .responder, expected: nil, pendingID: id)
            self.forget(id)
        }
    }

    /// Closes a connection never served: at once (its descriptor is freed
    /// now), and through `executeThenClose`, since NIO traps when an async
    /// channel's writer goes away unfinished.
    private static func discard(_ connection: Connection) {
        connection.channel.channel.close(promise: nil)
        Task { try? await connection.channel.executeThenClose { _, _ in } }
    }

    private func forget(_ id: Int) {
        connections.removeValue(forKey: id)
        handshakeEnded(id)
    }

    /// Frees the pending slot of connection `id` (idempotent).
    private func handshakeEnded(_ id: Int) {
        guard let address = pending.removeValue(forKey: id) else { return }
        let left = pendingPerAddress[address, default: 1] - 1
        pendingPerAddress[address] = left > 0 ? left : nil
    }

    /// Connections still in their handshake (tests watch the bound hold).
    public var pendingHandshakes: Int { pending.count }

    private func dial(_ peer: Peer) async {
        var backoff = Duration.milliseconds(100)
        while !Task.isCancelled, !stopped {
            // Connected the other way already (it dialled while it was a
            // follower, before a committee change made it a member): a second
            // connection would be refused; look again while that one lives.
            if queues.withLock({ $0[peer.key] != nil }) {
                try? await Task.sleep(for: .milliseconds(500))
                continue
            }
            do {
                let limits = self.limits
                let channel = try await ClientBootstrap(group: group)
                    .connect(host: peer.host, port: peer.port) { channel in
                        channel.eventLoop.makeCompletedFuture { try Self.framed(channel, limits: limits) }
                    }
                backoff = .milliseconds(100)
                await serve(channel, role: .initiator, expected: peer.key)
            } catch {
                logger.debug("dial failed", metadata: ["peer": "\(peer.host):\(peer.port)", "error": "\(error)"])
            }
            try? await Task.sleep(for: backoff)
            backoff = min(backoff * 2, .seconds(5))
        }
    }

    /// Runs one connection: handshake (closed if not done within
    /// `limits.handshakeTimeout`), then this task reads while the peer's
    /// `PeerSender` writes, until either side closes or the peer falls
    /// silent (see `KeepAlive`).
    ///
    /// Nonisolated, and after the handshake the frames never come here: the
    /// connection's event loop opens, decodes and delivers them
    /// (`SessionReader`) and seals and writes them (`PeerSender`), in
    /// parallel with other connections and off this actor; this task waits
    /// for the close and counts what closed it.
    private nonisolated func serve(_ connection: Connection, role: Handshake.Role, expected: PublicKey?,
                                   pendingID: Int? = nil) async {
        let channel = connection.channel
        var registered: (peer: PublicKey, connection: Int)?
        let timedOut = Atomic<Bool>(false)
        let deadline = channel.channel.eventLoop.scheduleTask(in: TimeAmount(limits.handshakeTimeout)) {
            timedOut.store(true, ordering: .relaxed)
            channel.channel.close(promise: nil)
        }
        do {
            try await channel.executeThenClose { inbound, outbound in
                var frames = inbound.makeAsyncIterator()
                var handshake = Handshake(role: role, chainID: chainID, signer: signer)
                try await outbound.write(ByteBuffer(bytes: handshake.hello))
                guard let hello = try await frames.next() else { throw HandshakeError.malformed("closed before hello") }
                let auth = try handshake.receiveHello(Array(buffer: hello))
                try await outbound.write(ByteBuffer(bytes: auth))
                guard let peerAuth = try await frames.next() else { throw HandshakeError.malformed("closed before authentication") }
                let (peer, cipher) = try handshake.receiveAuth(Array(buffer: peerAuth), verifier: verifier) { key throws(HandshakeError) in
                    try self.authorize(key, role: role, expected: expected)
                }
                deadline.cancel()
                guard !timedOut.load(ordering: .relaxed) else { throw HandshakeError.timedOut }
                if let pendingID { await handshakeEnded(pendingID) }
                let (sealing, opening) = cipher.split()
                guard let id = await register(peer, sealing: sealing, channel: channel.channel) else {
                    throw HandshakeError.duplicateKey(peer.hex)
                }
                registered = (peer, id)
                // From here the reader opens, decodes and delivers every frame on
                // the event loop (the ones that came early first); then the
                // limit rises to a message's.
                let armed = SessionReader.Armed(peer: peer, opener: opening, deliver: deliver)
                let reader = connection.reader
                let frameLimit = connection.frameLimit, frameBytesMax = self.frameBytesMax
                try await channel.channel.eventLoop.submit {
                    reader.value.arm(armed)
                    frameLimit.raise(to: frameBytesMax)
                }.get()
                // Nothing comes through any more: this returns when the channel closes.
                while try await frames.next() != nil {}
                switch connection.readOutcome.failure.withLock({ $0 }) {
                case .refused(let error)?: throw error
                case .badFrame(let reason)?: throw SessionReader.BadFrame(reason: reason)
                case nil: break
                }
            }
        } catch let error as HandshakeError {
            await countRefusal(registered == nil && timedOut.load(ordering: .relaxed) ? .timedOut : error)
        } catch let error as FrameDecoder.FrameTooLarge {
            await countBadFrame("\(error)")
        } catch let error as SessionReader.BadFrame {
            await countBadFrame(error.reason)
        } catch {
            let refused = connection.frameLimit.refusedFrameBytes.load(ordering: .relaxed)
            if refused > 0 {
                // The decoder refused a frame; another error (a write on the closing channel) surfaced first.
                await countBadFrame("\(FrameDecoder.FrameTooLarge(bytes: refused, max: connection.frameLimit.current))")
            } else if registered == nil, timedOut.load(ordering: .relaxed) {
                await countRefusal(.timedOut)
            } else {
                logger.debug("connection closed", metadata: ["error": "\(error)"])
            }
        }
        deadline.cancel()
        if let registered { await unregister(registered.peer, registered.connection) }
    }

    /// Which keys may open a connection in `role`. A dialler expects the key
    /// the genesis gives the address it dialled. A responder takes a member
    /// only if that member is the one to dial (the lower key), or a listener:
    /// a key this node dials itself must come through that dial, at the
    /// genesis address, never through an inbound connection from elsewhere.
    private nonisolated func authorize(_ key: PublicKey, role: Handshake.Role, expected: PublicKey?) throws(HandshakeError) {
        let membership = membership.withLock { $0 }
        guard membership.allowed.contains(key) else { throw .unauthorizedPeer(key.hex) }
        if let expected, key != expected {
            throw .unexpectedPeer(key.hex, "the address dialled belongs to \(expected.hex) in the genesis")
        }
        if role == .responder, !membership.dialsEveryone, !membership.listeners.contains(key),
           !Self.dials(from: key, to: signer.publicKey) {
            throw .unexpectedPeer(key.hex, "this node dials that member at its genesis address; it does not accept it inbound")
        }
    }

    private func countRefusal(_ error: HandshakeError) {
        if case .duplicateKey = error { return }  // counted and warned about in `register`
        counters.refusedConnections += 1
        logger.info("connection refused", metadata: ["reason": "\(error)"])
        eventsContinuation.yield(.refused(error))
    }

    private func countBadFrame(_ reason: String) {
        counters.badFrames += 1
        logger.warning("peer sent a bad frame; disconnected", metadata: ["reason": "\(reason)"])
        eventsContinuation.yield(.badFrame(reason))
    }

    /// The established connection keeps the key while it is alive: a second
    /// one is refused (nil) and warned about — it is a second process with the
    /// same key, or a reconnection racing the close of the old socket, which
    /// its dialler retries within 100 ms.
    private func register(_ peer: PublicKey, sealing: SessionCipher, channel: any Channel) -> Int? {
        connectionCount += 1
        let id = connectionCount
        let sender = PeerSender(connection: id, channel: channel, sealer: sealing, capacity: queueFramesMax)
        let taken = queues.withLock { queues in
            guard queues[peer] == nil else { return true }
            queues[peer] = sender
            return false
        }
        guard !taken else {
            counters.duplicateKeyConnections += 1
            logger.warning("a second connection presents a connected peer's key; kept the established one. Two processes may be running with that key: stop the one that is not the member's",
                           metadata: ["peer": "\(peer)"])
            eventsContinuation.yield(.duplicateKey(peer))
            return nil
        }
        defer { eventsContinuation.yield(.connected(peer)) }
        logger.info("peer connected", metadata: ["peer": "\(peer)"])
        return id
    }

    private func unregister(_ peer: PublicKey, _ connection: Int) {
        let removed = queues.withLock { queues in
            guard let sender = queues[peer], sender.connection == connection else { return false }
            sender.close()
            queues.removeValue(forKey: peer)
            return true
        }
        if removed { eventsContinuation.yield(.disconnected(peer)) }
    }

    static func kind(_ message: Message) -> String {
        switch message {
        case .proposal: "proposal"
        case .vote: "vote"
        case .timeout: "timeout"
        case .blockRequest: "block request"
        case .blockResponse: "block response"
        case .transactions: "transactions"
        case .statusRequest: "status request"
        case .status: "status"
        case .epoch: "epoch"
        case .stateSync: "state sync"
        }
    }
}
