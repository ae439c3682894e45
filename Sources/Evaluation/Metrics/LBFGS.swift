/// Limited-memory BFGS minimisation of a smooth function (Nocedal & Wright, Algorithm 7.4/7.5)
/// with a backtracking Armijo line search.
///
/// Written for strictly convex objectives such as L2-regularised logistic regression, where the
/// optimum is unique and every step has positive curvature; a curvature pair that is not
/// positive (rounding) is skipped rather than stored. The line search tries the quasi-Newton
/// step 1 first (accepted almost always), then shrinks it by safeguarded quadratic
/// interpolation. Convergence is declared when the largest gradient component is at most
/// `gradientTolerance`; the run also ends when no step lowers the objective any more, or the
/// gradient has not reached a new low for ``stagnationLimit`` iterations (both the rounding
/// floor: below it the objective's differences are noise), which ``Result/converged`` reports.
public enum LBFGS {
    /// Iterations without a new smallest gradient after which the run stops.
    public static let stagnationLimit = 500

    public struct Result: Sendable {
        public var iterations: Int
        public var evaluations: Int
        public var value: Double
        /// Largest absolute gradient component at the end.
        public var gradientMaxNorm: Double
        /// Whether the gradient tolerance was met.
        public var converged: Bool
    }

    /// Minimises `objective` from the `dimension` values at `x`, which receive the minimiser.
    /// `objective(point, gradient)` returns the value at `point` and writes the gradient.
    public static func minimize(dimension n: Int, x: UnsafeMutablePointer<Double>, memory m: Int = 10,
                                gradientTolerance: Double, maxIterations: Int,
                                objective: (UnsafePointer<Double>, UnsafeMutablePointer<Double>) -> Double) -> Result {
        // Every buffer is allocated once: the iterations only read and write them.
        let s = UnsafeMutablePointer<Double>.allocate(capacity: m * n), y = UnsafeMutablePointer<Double>.allocate(capacity: m * n)
        let g = UnsafeMutablePointer<Double>.allocate(capacity: n), gNew = UnsafeMutablePointer<Double>.allocate(capacity: n)
        let d = UnsafeMutablePointer<Double>.allocate(capacity: n), xNew = UnsafeMutablePointer<Double>.allocate(capacity: n)
        let rho = UnsafeMutablePointer<Double>.allocate(capacity: m), alpha = UnsafeMutablePointer<Double>.allocate(capacity: m)
        defer { for p in [s, y, g, gNew, d, xNew, rho, alpha] { p.deallocate() } }

        var f = objective(UnsafePointer(x), g)
        var evaluations = 1, stored = 0, newest = -1, iteration = 0
        var gMax = maxAbs(g, n)
        var smallest = gMax, sinceSmallest = 0
        while gMax > gradientTolerance && iteration < maxIterations {
            direction(g: g, d: d, s: s, y: y, rho: rho, alpha: alpha, n: n, m: m, stored: stored, newest: newest)
            var slope = dot(g, d, n)
            if !(slope < 0) {  // not a descent direction (rounding): restart from steepest descent
                stored = 0
                for i in 0..<n { d[i] = -g[i] }
                slope = dot(g, d, n)
            }
            // The first step has no curvature information: scale it to unit length.
            var t = stored == 0 ? min(1, 1 / dot(d, d, n).squareRoot()) : 1
            var fNew = 0.0, accepted = false
            for _ in 0..<60 {
                for i in 0..<n { xNew[i] = x[i] + t * d[i] }
                fNew = objective(UnsafePointer(xNew), gNew)
                evaluations += 1
                if fNew <= f + 1e-4 * t * slope { accepted = true; break }
                // Minimiser of the quadratic through f, slope and fNew, kept within [0.1, 0.5] t.
                let quadratic = -slope * t * t / (2 * (fNew - f - slope * t))
                t = quadratic.isFinite ? min(0.5 * t, max(0.1 * t, quadratic)) : 0.5 * t
            }
            guard accepted else {
                if stored == 0 { break }  // steepest descent cannot lower f either: rounding floor
                stored = 0
                continue
            }
            let slot = (newest + 1) % m
            var sy = 0.0
            for i in 0..<n {
                let si = xNew[i] - x[i], yi = gNew[i] - g[i]
                s[slot * n + i] = si
                y[slot * n + i] = yi
                sy += si * yi
            }
            if sy > 1e-300 {
                rho[slot] = 1 / sy
                newest = slot
                stored = min(stored + 1, m)
            }
            x.update(from: xNew, count: n)
            g.update(from: gNew, count: n)
            f = fNew
            gMax = maxAbs(g, n)
            iteration += 1
            if gMax < smallest {
                smallest = gMax
                sinceSmallest = 0
            } else {
                sinceSmallest += 1
                if sinceSmallest >= stagnationLimit { break }
            }
        }
        return Result(iterations: iteration, evaluations: evaluations, value: f, gradientMaxNorm: gMax,
                      converged: gMax <= gradientTolerance)
    }

    /// d = -H g by the two-loop recursion over the stored pairs, newest first.
    static func direction(g: UnsafeMutablePointer<Double>, d: UnsafeMutablePointer<Double>, s: UnsafeMutablePointer<Double>,
                          y: UnsafeMutablePointer<Double>, rho: UnsafeMutablePointer<Double>, alpha: UnsafeMutablePointer<Double>,
                          n: Int, m: Int, stored: Int, newest: Int) {
        d.update(from: g, count: n)
        for k in 0..<stored {
            let slot = (newest - k + m) % m
            let a = rho[slot] * dot(s + slot * n, d, n)
            alpha[slot] = a
            let ys = y + slot * n
            for i in 0..<n { d[i] -= a * ys[i] }
        }
        if stored > 0 {
            let ys = y + newest * n
            let gamma = 1 / (rho[newest] * dot(ys, ys, n))
            for i in 0..<n { d[i] *= gamma }
        }
        for k in stride(from: stored - 1, through: 0, by: -1) {
            let slot = (newest - k + m) % m
            let beta = rho[slot] * dot(y + slot * n, d, n)
            let ss = s + slot * n, a = alpha[slot]
            for i in 0..<n { d[i] += (a - beta) * ss[i] }
        }
        for i in 0..<n { d[i] = -d[i] }
    }

    @inline(__always)
    static func dot(_ a: UnsafePointer<Double>, _ b: UnsafePointer<Double>, _ n: Int) -> Double {
        var sum = SIMD8<Double>(), i = 0
        while i + 8 <= n {
            sum.addProduct(UnsafeRawPointer(a + i).loadUnaligned(as: SIMD8<Double>.self),
                           UnsafeRawPointer(b + i).loadUnaligned(as: SIMD8<Double>.self))
            i += 8
        }
        var total = sum.sum()
        while i < n { total += a[i] * b[i]; i += 1 }
        return total
    }

    @inline(__always)
    static func dot(_ a: UnsafeMutablePointer<Double>, _ b: UnsafeMutablePointer<Double>, _ n: Int) -> Double {
        dot(UnsafePointer(a), UnsafePointer(b), n)
    }

    static func maxAbs(_ a: UnsafeMutablePointer<Double>, _ n: Int) -> Double {
        var best = 0.0
        for i in 0..<n { best = max(best, abs(a[i])) }
        return best
    }
}
