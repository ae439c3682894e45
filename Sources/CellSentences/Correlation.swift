import Foundation

/// Agreement statistics between two equally long series, in double precision.
public enum Correlation {
    /// Pearson's r (NaN when either series is constant).
    public static func pearson(_ a: [Double], _ b: [Double]) -> Double {
        precondition(a.count == b.count)
        let n = Double(a.count)
        guard a.count > 1 else { return .nan }
        let ma = a.reduce(0, +) / n, mb = b.reduce(0, +) / n
        var sab = 0.0, saa = 0.0, sbb = 0.0
        for i in 0..<a.count {
            let da = a[i] - ma, db = b[i] - mb
            sab += da * db; saa += da * da; sbb += db * db
        }
        return saa > 0 && sbb > 0 ? sab / (saa * sbb).squareRoot() : .nan
    }

    /// Spearman's rho: Pearson's r of the ranks, ties given their average rank (as scipy).
    public static func spearman(_ a: [Double], _ b: [Double]) -> Double {
        pearson(averageRanks(a), averageRanks(b))
    }

    /// Coefficient of determination of `predicted` for `actual` (scikit-learn's `r2_score`).
    public static func rSquared(actual: [Double], predicted: [Double]) -> Double {
        precondition(actual.count == predicted.count)
        guard !actual.isEmpty else { return .nan }
        let mean = actual.reduce(0, +) / Double(actual.count)
        var ssRes = 0.0, ssTot = 0.0
        for i in 0..<actual.count {
            let r = actual[i] - predicted[i], t = actual[i] - mean
            ssRes += r * r; ssTot += t * t
        }
        return ssTot > 0 ? 1 - ssRes / ssTot : .nan
    }

    /// 1-based ranks with ties replaced by their average rank.
    public static func averageRanks(_ v: [Double]) -> [Double] {
        let order = sortedOrder(v)
        var ranks = [Double](repeating: 0, count: v.count)
        var i = 0
        while i < order.count {
            var j = i
            while j + 1 < order.count && v[order[j + 1]] == v[order[i]] { j += 1 }
            let average = Double(i + j) / 2 + 1
            for k in i...j { ranks[order[k]] = average }
            i = j + 1
        }
        return ranks
    }
}

extension Correlation {
    /// Indices of `v` in ascending order of value (stable), by an LSD radix sort over 16-bit
    /// digits of an order-preserving integer image of each double; fast for the hundreds of
    /// thousands of values a fit evaluates.
    public static func sortedOrder(_ v: [Double]) -> [Int] {
        let n = v.count
        guard n > 1 else { return Array(0..<n) }
        var keys = v.map { d -> UInt64 in
            let b = d.bitPattern
            return b >> 63 == 1 ? ~b : b | (1 << 63)
        }
        var order = [UInt32](unsafeUninitializedCapacity: n) { b, c in
            for i in 0..<n { b[i] = UInt32(i) }
            c = n
        }
        var keys2 = [UInt64](repeating: 0, count: n)
        var order2 = [UInt32](repeating: 0, count: n)
        var histogram = [Int](repeating: 0, count: 1 << 16)
        for pass in 0..<4 {
            let shift = UInt64(pass * 16)
            for i in 0..<histogram.count { histogram[i] = 0 }
            for k in keys { histogram[Int((k >> shift) & 0xFFFF)] += 1 }
            if histogram[Int((keys[0] >> shift) & 0xFFFF)] == n { continue }  // all share this digit
            var sum = 0
            for d in 0..<histogram.count { let c = histogram[d]; histogram[d] = sum; sum += c }
            for i in 0..<n {
                let d = Int((keys[i] >> shift) & 0xFFFF)
                let at = histogram[d]
                histogram[d] = at + 1
                keys2[at] = keys[i]
                order2[at] = order[i]
            }
            swap(&keys, &keys2)
            swap(&order, &order2)
        }
        return order.map { Int($0) }
    }
}

/// Ordinary least squares of y on x with an intercept.
public enum LeastSquares {
    /// Slope and intercept minimising the squared error (two-pass, centred sums).
    public static func line(x: [Double], y: [Double]) -> (slope: Double, intercept: Double) {
        precondition(x.count == y.count)
        guard !x.isEmpty else { return (.nan, .nan) }
        let n = Double(x.count)
        let mx = x.reduce(0, +) / n, my = y.reduce(0, +) / n
        var sxy = 0.0, sxx = 0.0
        for i in 0..<x.count {
            let dx = x[i] - mx
            sxy += dx * (y[i] - my); sxx += dx * dx
        }
        let slope = sxx > 0 ? sxy / sxx : 0
        return (slope, my - slope * mx)
    }
}
