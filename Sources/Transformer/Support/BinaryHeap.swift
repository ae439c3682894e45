/// A binary min-heap: the smallest element (by `<`) comes out first. One implementation for the
/// engine's priority queues: BPE's merge loop (lowest rank first), BPE training (best pair
/// first, via its entry's `<`) and top-k sampling (the k largest logits, smallest on top).
struct BinaryHeap<Element: Comparable> {
    private(set) var elements: [Element] = []

    var isEmpty: Bool { elements.isEmpty }
    var count: Int { elements.count }
    /// The smallest element.
    var top: Element? { elements.first }

    mutating func removeAll(keepingCapacity: Bool = false) { elements.removeAll(keepingCapacity: keepingCapacity) }
    mutating func reserveCapacity(_ n: Int) { elements.reserveCapacity(n) }

    @inline(__always)
    mutating func push(_ element: Element) {
        elements.append(element)
        var c = elements.count - 1
        while c > 0 {
            let parent = (c - 1) >> 1
            guard elements[c] < elements[parent] else { break }
            elements.swapAt(parent, c)
            c = parent
        }
    }

    @inline(__always)
    mutating func pop() -> Element? {
        guard let last = elements.popLast() else { return nil }
        guard !elements.isEmpty else { return last }
        let smallest = elements[0]
        elements[0] = last
        siftDown()
        return smallest
    }

    /// Replaces the smallest element (the heap must not be empty); cheaper than pop + push.
    @inline(__always)
    mutating func replaceTop(_ element: Element) {
        elements[0] = element
        siftDown()
    }

    @inline(__always)
    private mutating func siftDown() {
        var p = 0
        let n = elements.count
        while true {
            let l = 2 * p + 1
            if l >= n { return }
            var c = l
            if l + 1 < n, elements[l + 1] < elements[l] { c = l + 1 }
            guard elements[c] < elements[p] else { return }
            elements.swapAt(p, c)
            p = c
        }
    }
}
