#if canImport(Glibc)
import Glibc
#endif

/// A POSIX read-write lock: many holders shared, or one exclusively.
///
/// Glibc's default prefers readers, so a thread holding it shared may take
/// it shared again (a scan whose visitor reads) even while a writer waits.
final class ReadWriteLock: @unchecked Sendable {
    // @unchecked: the lock is the synchronization; its storage never moves.
    private let lock: UnsafeMutablePointer<pthread_rwlock_t>

    init() {
        lock = .allocate(capacity: 1)
        lock.initialize(to: pthread_rwlock_t())
        pthread_rwlock_init(lock, nil)
    }

    deinit {
        pthread_rwlock_destroy(lock)
        lock.deallocate()
    }

    func shared<T, E: Error>(_ body: () throws(E) -> T) throws(E) -> T {
        pthread_rwlock_rdlock(lock)
        defer { pthread_rwlock_unlock(lock) }
        return try body()
    }

    func exclusively<T>(_ body: () throws -> T) rethrows -> T {
        pthread_rwlock_wrlock(lock)
        defer { pthread_rwlock_unlock(lock) }
        return try body()
    }
}
