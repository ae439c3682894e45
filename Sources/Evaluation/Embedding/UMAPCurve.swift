import Foundation

/// The low-dimensional similarity curve of UMAP, 1 / (1 + a d^(2b)), with a and b fitted as
/// umap-learn's `find_ab_params` does: least squares against the offset exponential
/// (1 for d < min_dist, exp(-(d - min_dist) / spread) beyond) at 300 evenly spaced d in
/// [0, 3 spread].
///
/// umap-learn calls scipy's `curve_fit` (MINPACK Levenberg–Marquardt from a = b = 1); this is
/// a small Levenberg–Marquardt of its own on the same sum of squares from the same start,
/// run until the step is negligible, so it lands on the same minimum.
public struct UMAPCurve: Sendable, Equatable {
    public let a: Double
    public let b: Double

    public init(a: Double, b: Double) {
        self.a = a
        self.b = b
    }

    /// Fits a and b for `minDist` and `spread`.
    public static func fit(minDist: Double, spread: Double) -> UMAPCurve {
        let count = 300
        let xs = (0..<count).map { spread * 3 * Double($0) / Double(count - 1) }
        let ys = xs.map { $0 < minDist ? 1 : exp(-($0 - minDist) / spread) }
        var a = 1.0, b = 1.0, lambda = 1e-3
        func cost(_ a: Double, _ b: Double) -> Double {
            var s = 0.0
            for (x, y) in zip(xs, ys) {
                let r = 1 / (1 + a * pow(x, 2 * b)) - y
                s += r * r
            }
            return s
        }
        var current = cost(a, b)
        for _ in 0..<500 {
            // Normal equations J^T J delta = -J^T r of the 2 parameters.
            var jaa = 0.0, jab = 0.0, jbb = 0.0, ga = 0.0, gb = 0.0
            for (x, y) in zip(xs, ys) where x > 0 {
                let p = pow(x, 2 * b), f = 1 / (1 + a * p)
                let r = f - y
                let da = -p * f * f               // d f / d a
                let db = -a * p * 2 * log(x) * f * f  // d f / d b
                jaa += da * da; jab += da * db; jbb += db * db
                ga += da * r; gb += db * r
            }
            // At x = 0, f = 1 for any a, b (b > 0): no gradient, a constant residual.
            var improved = false
            while lambda < 1e12 {
                let maa = jaa * (1 + lambda), mbb = jbb * (1 + lambda)
                let det = maa * mbb - jab * jab
                let stepA = -(mbb * ga - jab * gb) / det, stepB = -(maa * gb - jab * ga) / det
                let trial = cost(a + stepA, b + stepB)
                if trial.isFinite && trial <= current {
                    let small = abs(stepA) <= 1e-12 * (abs(a) + 1e-12) && abs(stepB) <= 1e-12 * (abs(b) + 1e-12)
                    a += stepA; b += stepB
                    let gain = current - trial
                    current = trial
                    lambda = max(lambda / 10, 1e-12)
                    improved = !(small || gain <= 1e-16 * max(current, 1e-300))
                    break
                }
                lambda *= 10
            }
            if !improved { break }
        }
        return UMAPCurve(a: a, b: b)
    }
}
