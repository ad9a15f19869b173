import Consensus
import PluginHost

/// The messages between a node and its plugin child (`plugin_isolation =
/// "process"`), over a Unix socket: each frame a u32 big-endian length, then
/// a u8 kind and the body (`WireWriter`'s encoding). The ABI's semantics cross
/// unchanged: bytes are copied both ways (as a writer copies), store reads
/// are asked of the node while a call runs, a commit's writes come back with
/// its answer and land in the node's batch (or, if the child dies, never).
enum PluginWire {
    /// The largest frame either side accepts: a 64 MiB transaction list plus room.
    static let frameBytesMax = 80 * 1024 * 1024

    enum Kind: UInt8 {
        // node → child
        case call = 1, storeValue = 2, storeEntries = 3
        // child → node
        case answer = 10, getValue = 11, scan = 12, completion = 13
        /// The child's first frame: the plugin loaded and created (or why not).
        case ready = 14
    }

    enum Call: Sendable {
        case checkTx([[UInt8]])
        case produce(BlockContext, [[UInt8]])
        case validate(BlockContext, [UInt8])
        case commit(BlockContext, [UInt8], migratingFrom: PluginInfo?)
        case query([UInt8])
        case blockTransactions([UInt8])
        case function(String, [FunctionValue])
        case abandon(UInt64)
        case validateListing(BlockContext, [UInt8])
        /// ABI 1.7: answered `.bytes` (32, or empty when the app cannot tell).
        case stateHashFromStore
        /// ABI 1.7: answered `.bytes` (a u64, as `WireWriter.u64` writes it).
        case retainHeight
    }

    /// What a commit brings back: the hash, the writes to land in the
    /// node's batch, the committee changes it asked for.
    struct Committed: Sendable {
        var hash: StateHash
        var writes: AppStateWrites
        var committeeUpdates: [CommitteeUpdate]
        /// ABI 1.7 `retain_height` after the commit (0: no wish, or no such call).
        var retainHeight: UInt64 = 0
    }

    enum Answer: Sendable {
        case verdicts([Result<TransactionVerdict, ApplicationError>])
        /// `listed`: the payload's `block_transactions`, worked out in the
        /// same round trip (the node asks for it next); nil if not.
        case produced(ProduceAnswer, listed: [[UInt8]]??)
        case validated(ValidateAnswer)
        case committed(Committed)
        case bytes([UInt8])
        case transactions([[UInt8]]?)
        case function(FunctionResult)
        case abandoned(Bool)
        case failed(ApplicationError)
        case functionFailed(FunctionCallError)
        case validatedListing(listed: Result<[[UInt8]]?, ApplicationError>, answer: Result<ValidateAnswer, ApplicationError>)
    }

    /// A late answer (ABI `complete`) from a plugin thread in the child.
    static func encode(_ c: PendingCompletion) -> [UInt8] {
        var w = WireWriter()
        w.u8(Kind.completion.rawValue)
        w.u64(c.token.value)
        w.u8(c.call == .produceBlock ? 0 : 1)
        switch c.outcome {
        case .produced(let payload): w.u8(0); w.blob(payload)
        case .valid: w.u8(1)
        case .invalid(let reason): w.u8(2); w.string(reason)
        case .failed(let error): w.u8(3); w.error(error)
        }
        return w.bytes
    }

    static func decodeCompletion(_ reader: inout WireReader) throws -> PendingCompletion {
        let token = PendingToken(try reader.u64("token"))
        let call: PendingCompletion.Call = try reader.u8("call") == 0 ? .produceBlock : .validateBlock
        let outcome: PendingCompletion.Outcome
        switch try reader.u8("outcome") {
        case 0: outcome = .produced(payload: try reader.blob("payload", max: frameBytesMax))
        case 1: outcome = .valid
        case 2: outcome = .invalid(reason: try reader.string("reason"))
        default: outcome = .failed(try reader.error())
        }
        return PendingCompletion(token: token, call: call, outcome: outcome)
    }

    struct DecodeError: Error, CustomStringConvertible {
        let description: String
    }
}

// MARK: - Encoding

extension WireWriter {
    mutating func string(_ s: String) { blob(Array(s.utf8)) }
    mutating func blobs(_ list: [[UInt8]]) {
        u32(UInt32(list.count))
        for item in list { blob(item) }
    }

    mutating func context(_ c: BlockContext) {
        u64(c.height); u64(c.view); u64(c.timestampMs)
        blob(c.blockID); blob(c.parentID); blob(c.proposer)
        blobs(c.pendingPayloads); blob(c.finalityProof)
    }

    mutating func error(_ e: ApplicationError) {
        let kind: UInt8 = switch e.kind {
        case .failed: 0
        case .contractViolation: 1
        case .invalidArgument: 2
        case .crashed: 3
        }
        u8(kind)
        string(e.call); string(e.message)
    }

    mutating func value(_ v: FunctionValue) {
        switch v {
        case .i32(let x): u8(0); u64(UInt64(bitPattern: Int64(x)))
        case .i64(let x): u8(1); u64(UInt64(bitPattern: x))
        case .u32(let x): u8(2); u64(UInt64(x))
        case .u64(let x): u8(3); u64(x)
        case .f64(let x): u8(4); u64(x.bitPattern)
        case .bool(let x): u8(5); bool(x)
        case .str(let x): u8(6); string(x)
        case .bytes(let x): u8(7); blob(x)
        }
    }

    mutating func call(_ c: PluginWire.Call) {
        switch c {
        case .checkTx(let txs): u8(0); blobs(txs)
        case .produce(let ctx, let candidates): u8(1); context(ctx); blobs(candidates)
        case .validate(let ctx, let payload): u8(2); context(ctx); blob(payload)
        case .commit(let ctx, let payload, let previous):
            u8(3); context(ctx); blob(payload)
            bool(previous != nil)
            if let previous { string(previous.name); string(previous.version); string(previous.description); u32(previous.abiMajor); u32(previous.abiMinor) }
        case .query(let request): u8(4); blob(request)
        case .blockTransactions(let payload): u8(5); blob(payload)
        case .function(let name, let arguments):
            u8(6); string(name); u32(UInt32(arguments.count))
            for argument in arguments { value(argument) }
        case .abandon(let token): u8(7); u64(token)
        case .validateListing(let ctx, let payload): u8(8); context(ctx); blob(payload)
        case .stateHashFromStore: u8(9)
        case .retainHeight: u8(10)
        }
    }

    mutating func answer(_ a: PluginWire.Answer) {
        switch a {
        case .verdicts(let list):
            u8(0); u32(UInt32(list.count))
            for verdict in list {
                switch verdict {
                case .success(.accept): u8(0)
                case .success(.reject(let reason)): u8(1); string(reason)
                case .failure(let e): u8(2); error(e)
                }
            }
        case .produced(.ready(let payload, let included), let listed):
            u8(1); blob(payload); u32(UInt32(included.count))
            for i in included { u32(UInt32(i)) }
            bool(listed != nil)
            if let listed {
                bool(listed != nil)
                if let list = listed { blobs(list) }
            }
        case .produced(.pending(let token), _): u8(2); u64(token.value)
        case .validated(.valid): u8(3)
        case .validated(.invalid(let reason)): u8(4); string(reason)
        case .validated(.pending(let token)): u8(5); u64(token.value)
        case .committed(let c):
            u8(6); blob(c.hash.bytes); u32(UInt32(c.writes.changes.count))
            for (key, value) in c.writes.changes {
                blob(key.bytes); bool(value != nil)
                if let value { blob(value) }
            }
            u32(UInt32(c.committeeUpdates.count))
            for update in c.committeeUpdates { blob(update.publicKey); u64(update.weight); string(update.address) }
            u64(c.retainHeight)
        case .bytes(let b): u8(7); blob(b)
        case .transactions(let list):
            u8(8); bool(list != nil)
            if let list { blobs(list) }
        case .function(.value(let v)): u8(9); value(v)
        case .function(.none): u8(10)
        case .abandoned(let was): u8(11); bool(was)
        case .failed(let e): u8(12); error(e)
        case .validatedListing(let listed, let answer):
            u8(14)
            switch listed {
            case .success(nil): u8(0)
            case .success(let list?): u8(1); blobs(list)
            case .failure(let e): u8(2); error(e)
            }
            switch answer {
            case .success(.valid): u8(0)
            case .success(.invalid(let reason)): u8(1); string(reason)
            case .success(.pending(let token)): u8(2); u64(token.value)
            case .failure(let e): u8(3); error(e)
            }
        case .functionFailed(let e):
            // Across the socket only what a caller needs: the kind's text.
            u8(13)
            switch e {
            case .rejected(let function, let message): u8(0); string(function); string(message)
            case .failed(let inner): u8(1); error(inner)
            default: u8(2); string("\(e)")
            }
        }
    }
}

// MARK: - Decoding

extension WireReader {
    /// A u32 count, checked against the bytes left before any allocation.
    mutating func count32(_ field: String, max: Int, minElementBytes: Int) throws -> Int {
        let n = Int(try u32(field))
        guard n <= max, n * minElementBytes <= remaining else {
            throw PluginWire.DecodeError(description: "\(field): \(n) elements do not fit")
        }
        return n
    }

    mutating func string(_ field: String) throws -> String {
        let bytes = try blob(field, max: PluginWire.frameBytesMax)
        guard let text = String(validating: bytes, as: UTF8.self) else { throw PluginWire.DecodeError(description: "\(field) is not UTF-8") }
        return text
    }

    mutating func blobs(_ field: String) throws -> [[UInt8]] {
        let count = try count32(field, max: PluginWire.frameBytesMax / 4, minElementBytes: 4)
        return try (0..<count).map { _ in try blob(field, max: PluginWire.frameBytesMax) }
    }

    mutating func context() throws -> BlockContext {
        BlockContext(height: try u64("height"), view: try u64("view"), timestampMs: try u64("timestamp"),
                     blockID: try blob("block id", max: 32), parentID: try blob("parent id", max: 32),
                     proposer: try blob("proposer", max: 1024), pendingPayloads: try blobs("pending payloads"),
                     finalityProof: try blob("finality proof", max: PluginWire.frameBytesMax))
    }

    mutating func error() throws -> ApplicationError {
        let kind: ApplicationError.Kind = switch try u8("error kind") {
        case 0: .failed
        case 1: .contractViolation
        case 2: .invalidArgument
        default: .crashed
        }
        return ApplicationError(kind, call: try string("call"), message: try string("message"))
    }

    mutating func value() throws -> FunctionValue {
        switch try u8("value type") {
        case 0: return .i32(Int32(truncatingIfNeeded: Int64(bitPattern: try u64("i32"))))
        case 1: return .i64(Int64(bitPattern: try u64("i64")))
        case 2: return .u32(UInt32(truncatingIfNeeded: try u64("u32")))
        case 3: return .u64(try u64("u64"))
        case 4: return .f64(Double(bitPattern: try u64("f64")))
        case 5: return .bool(try bool("bool"))
        case 6: return .str(try string("str"))
        case 7: return .bytes(try blob("bytes", max: PluginWire.frameBytesMax))
        case let other: throw PluginWire.DecodeError(description: "unknown value type \(other)")
        }
    }

    mutating func call() throws -> PluginWire.Call {
        switch try u8("call") {
        case 0: return .checkTx(try blobs("transactions"))
        case 1: return .produce(try context(), try blobs("candidates"))
        case 2: return .validate(try context(), try blob("payload", max: PluginWire.frameBytesMax))
        case 3:
            let ctx = try context(), payload = try blob("payload", max: PluginWire.frameBytesMax)
            var previous: PluginInfo?
            if try bool("migrating") {
                previous = PluginInfo(name: try string("name"), version: try string("version"), description: try string("description"),
                                      abiMajor: try u32("major"), abiMinor: try u32("minor"))
            }
            return .commit(ctx, payload, migratingFrom: previous)
        case 4: return .query(try blob("request", max: PluginWire.frameBytesMax))
        case 5: return .blockTransactions(try blob("payload", max: PluginWire.frameBytesMax))
        case 6:
            let name = try string("function")
            let count = try count32("arguments", max: 64, minElementBytes: 1)
            return .function(name, try (0..<count).map { _ in try value() })
        case 7: return .abandon(try u64("token"))
        case 8: return .validateListing(try context(), try blob("payload", max: PluginWire.frameBytesMax))
        case 9: return .stateHashFromStore
        case 10: return .retainHeight
        case let other: throw PluginWire.DecodeError(description: "unknown call \(other)")
        }
    }

    mutating func answer() throws -> PluginWire.Answer {
        switch try u8("answer") {
        case 0:
            let count = try count32("verdicts", max: PluginWire.frameBytesMax, minElementBytes: 1)
            return .verdicts(try (0..<count).map { _ -> Result<TransactionVerdict, ApplicationError> in
                switch try u8("verdict") {
                case 0: return .success(.accept)
                case 1: return .success(.reject(reason: try string("reason")))
                default: return .failure(try error())
                }
            })
        case 1:
            let payload = try blob("payload", max: PluginWire.frameBytesMax)
            let count = try count32("included", max: PluginWire.frameBytesMax / 4, minElementBytes: 4)
            let included = try (0..<count).map { _ in Int(try u32("index")) }
            var listed: [[UInt8]]?? = nil
            if try bool("worked out") { listed = .some(try bool("listed") ? try blobs("listed") : nil) }
            return .produced(.ready(payload: payload, included: included), listed: listed)
        case 2: return .produced(.pending(PendingToken(try u64("token"))), listed: nil)
        case 3: return .validated(.valid)
        case 4: return .validated(.invalid(reason: try string("reason")))
        case 5: return .validated(.pending(PendingToken(try u64("token"))))
        case 6:
            guard let hash = StateHash(try blob("hash", max: 32)) else { throw PluginWire.DecodeError(description: "a state hash of the wrong size") }
            let count = try count32("writes", max: PluginWire.frameBytesMax, minElementBytes: 5)
            var writes = AppStateWrites(reservingCapacity: Int(count))
            for _ in 0..<count {
                let key = try blob("key", max: PluginWire.frameBytesMax)
                if try bool("put") { writes.put(key, try blob("value", max: PluginWire.frameBytesMax)) } else { writes.delete(key) }
            }
            let updates = try count32("committee updates", max: CommitteeUpdate.perBlockMax, minElementBytes: 12)
            let committee = try (0..<updates).map { _ in
                CommitteeUpdate(publicKey: try blob("key", max: 33), weight: try u64("weight"), address: try string("address"))
            }
            return .committed(PluginWire.Committed(hash: hash, writes: writes, committeeUpdates: committee,
                                                   retainHeight: try u64("retain height")))
        case 7: return .bytes(try blob("bytes", max: PluginWire.frameBytesMax))
        case 8: return .transactions(try bool("listed") ? try blobs("transactions") : nil)
        case 9: return .function(.value(try value()))
        case 10: return .function(.none)
        case 11: return .abandoned(try bool("abandoned"))
        case 12: return .failed(try error())
        case 13:
            switch try u8("function error") {
            case 0: return .functionFailed(.rejected(function: try string("function"), message: try string("message")))
            case 1: return .functionFailed(.failed(try error()))
            default: return .functionFailed(.failed(ApplicationError(.failed, call: "function", message: try string("message"))))
            }
        case 14:
            let listed: Result<[[UInt8]]?, ApplicationError>
            switch try u8("listed") {
            case 0: listed = .success(nil)
            case 1: listed = .success(try blobs("listed"))
            default: listed = .failure(try error())
            }
            let answer: Result<ValidateAnswer, ApplicationError>
            switch try u8("validated") {
            case 0: answer = .success(.valid)
            case 1: answer = .success(.invalid(reason: try string("reason")))
            case 2: answer = .success(.pending(PendingToken(try u64("token"))))
            default: answer = .failure(try error())
            }
            return .validatedListing(listed: listed, answer: answer)
        case let other: throw PluginWire.DecodeError(description: "unknown answer \(other)")
        }
    }
}
