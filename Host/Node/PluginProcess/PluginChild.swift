#if canImport(Glibc)
import Glibc
#endif
import Consensus
import Logging
import PluginHost

/// The child side of `plugin_isolation = "process"` (`baton plugin-host`):
/// loads the same `.so`, unchanged, and answers the node's calls over the
/// socket on its standard input, one at a time on this thread; late answers
/// (`complete`, from any plugin thread) go over the socket on its standard
/// output, so the node's caller reads its own answers without a hop. A crash or a
/// hang here costs the node a restart of this process, never the node.
///
/// The store it hands the plugin (`RemoteStore`) asks the node for committed
/// values while a call runs, and keeps a commit's writes to send back with
/// the answer: they land in the node's batch with the block, or — if this
/// process dies first — never.
public enum PluginChild {
    /// Serves until the node closes the socket; returns the exit status.
    /// - Parameter cachesReads: this instance commits (the node's first, not
    ///   a side instance): every write to the app's key space passes through
    ///   its commits, so the committed values it read or wrote stay true and
    ///   need not cross the socket again.
    public static func run(plugin path: String, config: [UInt8], cachesReads: Bool = false, socket fd: Int32 = 0,
                           completions: Int32 = 1) -> Int32 {
        var logger = Logger(label: "baton.plugin-host")
        logger.logLevel = .info
        let socket = PluginSocket(fd: fd)
        let completionSocket = PluginSocket(fd: completions)
        func ready(_ problem: String?) {
            var writer = WireWriter()
            writer.u8(PluginWire.Kind.ready.rawValue)
            writer.bool(problem == nil)
            if let problem { writer.string(problem) }
            socket.send(writer.bytes)
        }
        let library: PluginLibrary
        do { library = try PluginLibrary.load(path: path) } catch {
            ready("\(error)")
            return 2
        }
        let store = RemoteStore(socket: socket, caches: cachesReads)
        let app: PluginApplication
        do {
            app = try PluginApplication(library: library, config: config, store: store, logger: logger,
                                        onCompletion: { completionSocket.send(PluginWire.encode($0)) })
        } catch {
            ready("\(error)")
            return 3
        }
        ready(nil)
        while let frame = socket.receive() {
            var reader = WireReader(frame)
            let call: PluginWire.Call
            do {
                guard try reader.u8("kind") == PluginWire.Kind.call.rawValue else { return 4 }
                call = try reader.call()
            } catch {
                logger.critical("a frame from the node did not decode", metadata: ["error": "\(error)"])
                return 4
            }
            var writer = WireWriter()
            writer.u8(PluginWire.Kind.answer.rawValue)
            writer.answer(perform(call, on: app, store: store))
            guard socket.send(writer.bytes) else { return 0 }
        }
        return 0
    }

    static func perform(_ call: PluginWire.Call, on app: PluginApplication, store: RemoteStore) -> PluginWire.Answer {
        do throws(ApplicationError) {
            switch call {
            case .checkTx(let transactions):
                return .verdicts(transactions.map { tx in Result { () throws(ApplicationError) in try app.checkTransaction(tx) } })
            case .produce(let context, let candidates):
                let answer = try app.produceBlock(context, candidates: candidates)
                // The node asks for the payload's transactions next: save it a round trip.
                guard case .ready(let payload, _) = answer, let listed = try? app.blockTransactions(payload) else {
                    return .produced(answer, listed: nil)
                }
                return .produced(answer, listed: .some(listed))
            case .validate(let context, let payload): return .validated(try app.validateBlock(context, payload: payload))
            case .commit(let context, let payload, let previous):
                store.committed = AppStateWrites()
                let hash: StateHash
                if let previous {
                    hash = try app.commitBlock(context, payload: payload, migratingFrom: previous)
                } else {
                    hash = try app.commitBlock(context, payload: payload)
                }
                store.remember(store.committed)
                return .committed(PluginWire.Committed(hash: hash, writes: store.committed, committeeUpdates: app.committeeUpdates,
                                                       retainHeight: app.retainHeight()))
            case .query(let request): return .bytes(try app.query(request))
            case .blockTransactions(let payload): return .transactions(try app.blockTransactions(payload))
            case .function(let name, let arguments):
                do { return .function(try app.call(name, arguments: arguments)) } catch { return .functionFailed(error) }
            case .abandon(let token): return .abandoned(app.abandon(PendingToken(token)))
            case .validateListing(let context, let payload):
                let (listed, answer) = app.validateListing(context, payload: payload)
                return .validatedListing(listed: listed, answer: answer)
            case .stateHashFromStore: return .bytes(try app.stateHashFromStore()?.bytes ?? [])
            case .retainHeight:
                var w = WireWriter(capacity: 8)
                w.u64(app.retainHeight())
                return .bytes(w.bytes)
            }
        } catch {
            return .failed(error)
        }
    }

    /// The node's store, seen from the child: reads go to the node (which
    /// answers from committed state); a commit's writes are kept for its answer.
    final class RemoteStore: AppStateStore {
        let socket: PluginSocket
        var committed = AppStateWrites()
        /// Committed values (nil: absent) this committing instance read, kept
        /// true by its own commits' writes; at most `cacheEntriesMax` (then it
        /// starts over). Nil: no cache. Only keys read are kept: a key written
        /// and never read (most of a store's) would cost an insert per write
        /// and save nothing.
        private var cache: [StateKey: [UInt8]?]?
        static let cacheEntriesMax = 100_000

        init(socket: PluginSocket, caches: Bool) {
            self.socket = socket
            cache = caches ? [:] : nil
        }

        /// A commit's writes, as the node will land them: the cached keys among
        /// them take their new values.
        func remember(_ writes: AppStateWrites) {
            guard cache != nil, !cache!.isEmpty else { return }
            for (key, value) in writes.changes where cache![key] != nil { cache![key] = .some(value) }
        }

        func value(forKey key: [UInt8]) throws(AppStateStoreError) -> [UInt8]? {
            if let cached = cache?[StateKey(key)] { return cached }
            let value = try fetch(key)
            if cache != nil {
                if cache!.count >= Self.cacheEntriesMax { cache = [:] }
                cache![StateKey(key)] = .some(value)
            }
            return value
        }

        private func fetch(_ key: [UInt8]) throws(AppStateStoreError) -> [UInt8]? {
            var writer = WireWriter()
            writer.u8(PluginWire.Kind.getValue.rawValue)
            writer.blob(key)
            var reader = try ask(writer.bytes, expect: .storeValue)
            do { return try reader.bool("present") ? try reader.blob("value", max: PluginWire.frameBytesMax) : nil } catch {
                throw AppStateStoreError("the node's answer did not decode: \(error)")
            }
        }

        func forEach(withPrefix prefix: [UInt8], _ visit: ([UInt8], [UInt8]) -> Bool) throws(AppStateStoreError) {
            var writer = WireWriter()
            writer.u8(PluginWire.Kind.scan.rawValue)
            writer.blob(prefix)
            var reader = try ask(writer.bytes, expect: .storeEntries)
            do {
                let count = try reader.count32("entries", max: PluginWire.frameBytesMax, minElementBytes: 8)
                for _ in 0..<count {
                    let key = try reader.blob("key", max: PluginWire.frameBytesMax)
                    let value = try reader.blob("value", max: PluginWire.frameBytesMax)
                    if !visit(key, value) { return }
                }
            } catch { throw AppStateStoreError("the node's answer did not decode: \(error)") }
        }

        func apply(_ writes: AppStateWrites) { committed = writes }

        /// Store callbacks run on the calling thread, inside a call ([in-call]):
        /// this thread is the socket's only reader, so it reads the answer itself.
        private func ask(_ request: [UInt8], expect kind: PluginWire.Kind) throws(AppStateStoreError) -> WireReader {
            guard socket.send(request), let frame = socket.receive() else {
                // The node is gone: nothing this process does matters any more.
                exit(0)
            }
            var reader = WireReader(frame)
            guard (try? reader.u8("kind")) == kind.rawValue else { throw AppStateStoreError("the node answered out of turn") }
            if (try? reader.bool("ok")) != true {
                throw AppStateStoreError((try? reader.string("error")) ?? "the node's store failed")
            }
            return reader
        }
    }
}
