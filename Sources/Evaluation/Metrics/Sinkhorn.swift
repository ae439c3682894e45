import Foundation

/// Entropy-regularised optimal transport by Sinkhorn-Knopp matrix scaling, step for step as
/// POT's `ot.bregman.sinkhorn_knopp` (the solver `ot.sinkhorn(..., method="sinkhorn")` runs).
///
/// K = exp(-M / reg); u = 1/n, v = 1/m; each iteration v = b / (K^T u), u = 1 / ((K / a) v).
/// If K^T u has a zero or u or v become NaN or infinite, the previous u and v are kept and
/// the loop stops (POT: "numerical errors"). Every tenth iteration (0, 10, 20, ...) the
/// Euclidean norm of the plan's column sums minus b is checked against `stopThreshold`.
/// The plan is diag(u) K diag(v).
struct Sinkhorn {
    /// Rows and columns of the cost matrix.
    let n: Int, m: Int
    let maxIterations: Int
    let stopThreshold: Double
    /// Workspace: the kernel (n x m) and vectors.
    let kernel: UnsafeMutablePointer<Double>
    let u: UnsafeMutablePointer<Double>, v: UnsafeMutablePointer<Double>
    let previousU: UnsafeMutablePointer<Double>, previousV: UnsafeMutablePointer<Double>
    let ktu: UnsafeMutablePointer<Double>, columnSums: UnsafeMutablePointer<Double>

    /// How a solve ended.
    struct Outcome {
        var iterations = 0
        /// Marginal error below the threshold at a check.
        var converged = false
        /// Stopped on a zero, NaN or infinity (POT warns "numerical errors").
        var numericalError = false
    }

    init(n: Int, m: Int, maxIterations: Int, stopThreshold: Double) {
        self.n = n; self.m = m
        self.maxIterations = maxIterations
        self.stopThreshold = stopThreshold
        kernel = .allocate(capacity: n * m)
        u = .allocate(capacity: n); previousU = .allocate(capacity: n)
        v = .allocate(capacity: m); previousV = .allocate(capacity: m); ktu = .allocate(capacity: m)
        columnSums = .allocate(capacity: m)
    }

    func deallocate() {
        kernel.deallocate(); u.deallocate(); previousU.deallocate()
        v.deallocate(); previousV.deallocate(); ktu.deallocate(); columnSums.deallocate()
    }

    /// Solves with uniform marginals a = 1/n, b = 1/m and cost `cost` (n x m); writes the plan
    /// into `plan` (n x m).
    func solve(cost: UnsafePointer<Double>, regularisation reg: Double, plan: UnsafeMutablePointer<Double>) -> Outcome {
        let a = 1 / Double(n), b = 1 / Double(m)
        for i in 0..<(n * m) { kernel[i] = Foundation.exp(cost[i] / -reg) }
        for i in 0..<n { u[i] = 1 / Double(n) }
        for j in 0..<m { v[j] = 1 / Double(m) }
        var outcome = Outcome()
        var ii = 0
        while ii < maxIterations {
            previousU.update(from: u, count: n)
            previousV.update(from: v, count: m)
            // K^T u, accumulated over rows of K.
            for j in 0..<m { ktu[j] = 0 }
            for i in 0..<n { axpy(u[i], kernel + i * m, ktu, m) }
            var bad = false
            for j in 0..<m {
                if ktu[j] == 0 { bad = true }
                v[j] = b / ktu[j]
            }
            // u = 1 / ((K / a) v): POT scales K's rows by 1 / a before the product.
            for i in 0..<n {
                u[i] = 1 / dotScaled(kernel + i * m, 1 / a, v, m)
            }
            for i in 0..<n where !u[i].isFinite { bad = true }
            for j in 0..<m where !v[j].isFinite { bad = true }
            if bad {
                u.update(from: previousU, count: n)
                v.update(from: previousV, count: m)
                outcome.numericalError = true
                break
            }
            if ii % 10 == 0 {
                for j in 0..<m { columnSums[j] = 0 }
                for i in 0..<n { axpy(u[i], kernel + i * m, columnSums, m) }
                var err = 0.0
                for j in 0..<m { let d = columnSums[j] * v[j] - b; err += d * d }
                if err.squareRoot() < stopThreshold { outcome.converged = true; break }
            }
            ii += 1
        }
        outcome.iterations = min(ii + 1, maxIterations)
        for i in 0..<n {
            let ui = u[i]
            for j in 0..<m { plan[i * m + j] = ui * kernel[i * m + j] * v[j] }
        }
        return outcome
    }

    /// y += alpha x.
    @inline(__always) func axpy(_ alpha: Double, _ x: UnsafePointer<Double>, _ y: UnsafeMutablePointer<Double>, _ count: Int) {
        var j = 0
        let av = SIMD8<Double>(repeating: alpha)
        while j + 8 <= count {
            let s = UnsafeRawPointer(x + j).loadUnaligned(as: SIMD8<Double>.self)
            let d = UnsafeMutableRawPointer(y + j)
            d.storeBytes(of: d.loadUnaligned(as: SIMD8<Double>.self) + av * s, as: SIMD8<Double>.self)
            j += 8
        }
        while j < count { y[j] += alpha * x[j]; j += 1 }
    }

    /// sum((scale * x) * y).
    @inline(__always) func dotScaled(_ x: UnsafePointer<Double>, _ scale: Double, _ y: UnsafePointer<Double>, _ count: Int) -> Double {
        var acc = SIMD8<Double>()
        let sv = SIMD8<Double>(repeating: scale)
        var j = 0
        while j + 8 <= count {
            acc += (sv * UnsafeRawPointer(x + j).loadUnaligned(as: SIMD8<Double>.self)) * UnsafeRawPointer(y + j).loadUnaligned(as: SIMD8<Double>.self)
            j += 8
        }
        var s = acc.sum()
        while j < count { s += (scale * x[j]) * y[j]; j += 1 }
        return s
    }
}
