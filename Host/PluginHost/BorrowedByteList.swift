import BatonPluginAPI

/// Lends a list of byte strings to C as one `baton_bytes` array.
///
/// All items are copied once into one contiguous buffer so a single pointer
/// scope covers them (Swift cannot nest a variable number of
/// `withUnsafeBufferPointer` scopes). The cost is one memcpy of the batch.
enum BorrowedByteList {
    static func withBorrowed<R>(_ items: [[UInt8]], _ body: (UnsafePointer<baton_bytes>?, Int) -> R) -> R {
        if items.isEmpty { return body(nil, 0) }
        var joined = [UInt8]()
        joined.reserveCapacity(items.reduce(0) { $0 + $1.count })
        for item in items { joined.append(contentsOf: item) }
        var views = [baton_bytes](repeating: baton_bytes(ptr: nil, len: 0), count: items.count)
        return joined.withUnsafeBufferPointer { storage in
            var offset = 0
            for (index, item) in items.enumerated() {
                views[index] = baton_bytes(ptr: storage.baseAddress.map { $0 + offset }, len: item.count)
                offset += item.count
            }
            return views.withUnsafeBufferPointer { views in body(views.baseAddress, items.count) }
        }
    }
}
