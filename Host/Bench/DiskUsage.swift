import Foundation

/// Bytes of the files under a folder (a node's data directory, a snapshot).
enum DiskUsage {
    static func bytes(_ path: String) -> UInt64 {
        guard let files = FileManager.default.enumerator(atPath: path) else { return 0 }
        var total: UInt64 = 0
        while let name = files.nextObject() as? String {
            // Files may go while RocksDB compacts: a vanished one counts for nothing.
            if let size = (try? FileManager.default.attributesOfItem(atPath: path + "/" + name))?[.size] as? NSNumber {
                total += size.uint64Value
            }
        }
        return total
    }
}
