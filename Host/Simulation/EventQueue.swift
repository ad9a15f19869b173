/// Pending simulation events ordered by (time, sequence): a binary min-heap.
/// Equal times pop in insertion order, so runs are deterministic.
struct EventQueue<Element> {
    private struct Entry {
        let time: UInt64
        let sequence: UInt64
        let element: Element
        func precedes(_ other: Entry) -> Bool { (time, sequence) < (other.time, other.sequence) }
    }

    private var heap: [Entry] = []
    private var sequence: UInt64 = 0

    var count: Int { heap.count }
    var isEmpty: Bool { heap.isEmpty }

    mutating func push(_ element: Element, at time: UInt64) {
        sequence += 1
        heap.append(Entry(time: time, sequence: sequence, element: element))
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard heap[child].precedes(heap[parent]) else { break }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    mutating func pop() -> (time: UInt64, element: Element)? {
        guard !heap.isEmpty else { return nil }
        heap.swapAt(0, heap.count - 1)
        let top = heap.removeLast()
        var parent = 0
        while true {
            let left = 2 * parent + 1, right = left + 1
            var smallest = parent
            if left < heap.count, heap[left].precedes(heap[smallest]) { smallest = left }
            if right < heap.count, heap[right].precedes(heap[smallest]) { smallest = right }
            if smallest == parent { break }
            heap.swapAt(parent, smallest)
            parent = smallest
        }
        return (top.time, top.element)
    }

    /// Drops every element matching `predicate` (a crashed node's events).
    mutating func removeAll(where predicate: (Element) -> Bool) {
        let kept = heap.filter { !predicate($0.element) }
        heap = []
        for entry in kept.sorted(by: { $0.precedes($1) }) { heap.append(entry) }  // sorted array is a valid heap
    }
}
