import BatonCrypto
import Consensus

/// Every kind's committed schedule, kept by kind: a node loads, stores,
/// admits and applies host transactions through this one value, so a new
/// kind of plan (a case of `PlanKind` and its schedule) needs nothing of the
/// node unless its decisions do something there.
///
/// Invariant: holds exactly one schedule per `PlanKind`, of its
/// `scheduleType` (the typed accessor relies on it).
public struct GovernanceBook: Sendable {
    private var schedules: [PlanKind: any PlanSchedule]

    /// A chain with no plan yet.
    public init() {
        schedules = Dictionary(uniqueKeysWithValues: PlanKind.allCases.map { ($0, $0.scheduleType.init()) })
    }

    /// A stored kind's schedule that does not decode.
    public struct Unreadable: Error, CustomStringConvertible {
        public let kind: PlanKind
        public let detail: String
        public var description: String { "the stored \(kind.storageName) schedule (m/\(kind.storageName)) is unreadable (\(detail))" }
    }

    /// Every kind's schedule as stored (`stored(kind)`: its bytes, nil when none yet).
    public init(loading stored: (PlanKind) throws -> [UInt8]?) throws {
        self.init()
        for kind in PlanKind.allCases {
            guard let bytes = try stored(kind) else { continue }
            do { schedules[kind] = try kind.scheduleType.decode(bytes) } catch {
                throw Unreadable(kind: kind, detail: "\(error)")
            }
        }
    }

    public func schedule<Schedule: PlanSchedule>(_ type: Schedule.Type) -> Schedule {
        // The invariant: the entry of `Schedule.kind` is a `Schedule`.
        schedules[Schedule.kind] as! Schedule
    }

    /// A kind's schedule as stored.
    public func encoded(_ kind: PlanKind) -> [UInt8] { schedules[kind]!.encoded }

    public func admissionProblem(_ transaction: HostTransaction, height: Height) -> String? {
        schedules[transaction.kind]!.admissionProblem(transaction, height: height)
    }

    /// Applies a block's host transactions, each to its kind's schedule (kinds
    /// in `PlanKind` order, each kind's in block order). Returns what they did
    /// and the kinds whose schedules to store with the block (those it had
    /// transactions of).
    public mutating func apply(_ transactions: [HostTransaction], at height: Height, committee: Committee,
                               verifier: any SignatureVerifier) -> (outcomes: [GovernanceOutcome], changed: [PlanKind]) {
        var outcomes: [GovernanceOutcome] = []
        var changed: [PlanKind] = []
        for kind in PlanKind.allCases {
            let ofKind = transactions.filter { $0.kind == kind }
            guard !ofKind.isEmpty, var schedule = schedules[kind] else { continue }
            outcomes += schedule.outcomes(of: ofKind, at: height, committee: committee, verifier: verifier)
            schedules[kind] = schedule
            changed.append(kind)
        }
        return (outcomes, changed)
    }
}
