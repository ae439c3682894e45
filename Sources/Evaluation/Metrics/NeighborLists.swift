/// The k nearest reference items of every query, nearest first (by distance, then index).
public struct NeighborLists: Sendable {
    /// Neighbours kept per query.
    public let k: Int
    public let queryCount: Int
    /// `queryCount x k` reference indices, row-major.
    public let indices: [Int32]
    /// The matching distances (Euclidean, or edit distances).
    public let distances: [Double]

    public init(k: Int, queryCount: Int, indices: [Int32], distances: [Double]) {
        precondition(indices.count == k * queryCount && distances.count == indices.count)
        self.k = k
        self.queryCount = queryCount
        self.indices = indices
        self.distances = distances
    }

    /// The neighbours of query `q`, nearest first.
    public func neighbors(of q: Int) -> ArraySlice<Int32> { indices[(q * k)..<((q + 1) * k)] }
}

/// Which of several references at the same distance is kept at the k-th place.
public enum NeighborTieRule: String, Codable, Sendable {
    /// As scikit-learn's brute-force search for Euclidean distances (`ArgKmin`): a max-heap
    /// of k distances, filled with infinities, visited with the references in index order; a
    /// candidate enters only when strictly nearer than the heap's root, which it replaces, and
    /// sinks by scikit-learn's `heap_push` rules (distances only). Which tied reference is
    /// evicted therefore depends on the heap's shape, not on indices. scikit-learn gives this
    /// result whenever it visits references in order: on one thread, or when it splits the
    /// work over queries (it splits over references, and can differ, when there are fewer
    /// queries than references and several threads).
    case scikitLearnHeap = "scikit-learn heap"
    /// The k smallest (distance, index) pairs: at equal distance the lower index is kept.
    case lowerIndex = "lower index"
}

/// One bounded max-heap per query and per requested k, in raw memory, fed candidates in
/// ascending reference index.
struct NeighborHeaps: @unchecked Sendable {
    let sizes: [Int]
    /// Start of each size's block within a query's slots.
    let offsets: [Int]
    let stride: Int
    let rule: NeighborTieRule
    let distances: UnsafeMutablePointer<Double>
    let indices: UnsafeMutablePointer<Int32>
    let count: Int

    init(queries: Int, sizes: [Int], rule: NeighborTieRule) {
        precondition(sizes.allSatisfy { $0 >= 1 })
        self.sizes = sizes
        self.rule = rule
        var o: [Int] = [], s = 0
        for k in sizes { o.append(s); s += k }
        offsets = o
        stride = s
        count = queries
        distances = .allocate(capacity: max(1, queries * s))
        distances.initialize(repeating: .infinity, count: max(1, queries * s))
        indices = .allocate(capacity: max(1, queries * s))
        indices.initialize(repeating: -1, count: max(1, queries * s))
    }

    func deallocate() {
        distances.deallocate(); indices.deallocate()
    }

    /// The largest root over all sizes of query `q`: a candidate at or beyond it enters no heap.
    @inline(__always) func bound(_ q: Int) -> Double {
        var b = -Double.infinity
        for s in 0..<sizes.count { b = max(b, distances[q * stride + offsets[s]]) }
        return b
    }

    /// Offers candidate (`d`, `index`) to every heap of query `q`.
    @inline(__always) func offer(_ q: Int, _ d: Double, _ index: Int32) {
        for s in 0..<sizes.count {
            let base = q * stride + offsets[s]
            let dist = distances + base, idx = indices + base
            if d >= dist[0] { continue }
            let k = sizes[s]
            var cur = 0
            switch rule {
            case .scikitLearnHeap:
                // scikit-learn's heap_push, comparison for comparison.
                while true {
                    let l = 2 * cur + 1, r = l + 1
                    var swap: Int
                    if l >= k { break }
                    if r >= k {
                        if dist[l] > d { swap = l } else { break }
                    } else if dist[l] >= dist[r] {
                        if d < dist[l] { swap = l } else { break }
                    } else {
                        if d < dist[r] { swap = r } else { break }
                    }
                    dist[cur] = dist[swap]; idx[cur] = idx[swap]
                    cur = swap
                }
            case .lowerIndex:
                while true {
                    let l = 2 * cur + 1, r = l + 1
                    if l >= k { break }
                    var c = l
                    if r < k && Self.greater(dist[r], idx[r], dist[l], idx[l]) { c = r }
                    if !Self.greater(dist[c], idx[c], d, index) { break }
                    dist[cur] = dist[c]; idx[cur] = idx[c]
                    cur = c
                }
            }
            dist[cur] = d; idx[cur] = index
        }
    }

    /// Lexicographic (distance, index) order.
    @inline(__always) static func greater(_ d1: Double, _ i1: Int32, _ d2: Double, _ i2: Int32) -> Bool {
        d1 > d2 || (d1 == d2 && i1 > i2)
    }

    /// The lists of heap `s` for every query, sorted by (distance, index); unfilled slots
    /// (fewer references than k) are left out by the callers, which cap k.
    func lists(_ s: Int, transform: (Double) -> Double = { $0 }) -> NeighborLists {
        let k = sizes[s]
        var outIndices = [Int32](repeating: 0, count: count * k)
        var outDistances = [Double](repeating: 0, count: count * k)
        var pairs: [(Double, Int32)] = []
        for q in 0..<count {
            let base = q * stride + offsets[s]
            pairs.removeAll(keepingCapacity: true)
            for j in 0..<k { pairs.append((distances[base + j], indices[base + j])) }
            pairs.sort { $0.0 < $1.0 || ($0.0 == $1.0 && $0.1 < $1.1) }
            for (j, (d, i)) in pairs.enumerated() {
                outIndices[q * k + j] = i
                outDistances[q * k + j] = transform(d)
            }
        }
        return NeighborLists(k: k, queryCount: count, indices: outIndices, distances: outDistances)
    }

    /// Leave-one-out lists from heaps of size k + 1 that included each query itself, as
    /// scikit-learn's `kneighbors(X=None)`: the query is removed from its own list, or, when it
    /// is not there (more than k references at distance 0), the first entry is.
    func leaveOneOutLists(_ s: Int, transform: (Double) -> Double = { $0 }) -> NeighborLists {
        let full = lists(s, transform: transform)
        let k = full.k - 1
        var outIndices: [Int32] = [], outDistances: [Double] = []
        outIndices.reserveCapacity(count * k); outDistances.reserveCapacity(count * k)
        for q in 0..<count {
            let base = q * full.k
            let own = (0..<full.k).first { full.indices[base + $0] == Int32(q) } ?? 0
            for j in 0..<full.k where j != own {
                outIndices.append(full.indices[base + j]); outDistances.append(full.distances[base + j])
            }
        }
        return NeighborLists(k: k, queryCount: count, indices: outIndices, distances: outDistances)
    }
}
