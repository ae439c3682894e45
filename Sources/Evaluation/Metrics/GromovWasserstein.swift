import Foundation
import Mechanics
import SingleCell

/// Settings of the entropic Gromov-Wasserstein solver (POT's defaults except epsilon, which
/// POT sets to 0.1).
public struct GromovWassersteinSettings: Codable, Sendable, Equatable {
    /// Entropic regularisation (POT `epsilon`).
    public var epsilon: Double = 0.01
    /// Outer (projected gradient) iterations at most (POT `max_iter`).
    public var maxIterations: Int = 1000
    /// Outer stop: Frobenius norm of the change of the plan, checked every tenth iteration (POT `tol`).
    public var tolerance: Double = 1e-9
    /// Sinkhorn iterations at most per outer iteration (POT `numItermax` of `ot.sinkhorn`).
    public var sinkhornMaxIterations: Int = 1000
    /// Sinkhorn stop on the marginal error (POT `stopThr`).
    public var sinkhornStopThreshold: Double = 1e-9

    public init() {}

    enum CodingKeys: String, CodingKey {
        case epsilon, maxIterations = "max_iter", tolerance = "tol"
        case sinkhornMaxIterations = "sinkhorn_max_iter", sinkhornStopThreshold = "sinkhorn_stop_threshold"
    }
}

/// The outcome of an entropic Gromov-Wasserstein solve.
public struct GromovWassersteinResult: Codable, Sendable, Equatable {
    /// The Gromov-Wasserstein loss of the final plan T: sum over i, j, k, l of
    /// (C1[i,k] - C2[j,l])^2 T[i,j] T[k,l], without the entropy term. This is the number POT's
    /// `entropic_gromov_wasserstein2` returns.
    @NullableMetric public var loss: Double
    /// Outer iterations run.
    public var iterations: Int
    /// Whether the outer loop stopped on the tolerance (rather than on `maxIterations`).
    public var converged: Bool
    /// Sinkhorn solves that stopped on a numerical error (zero, NaN or infinity) or ran out of
    /// iterations; POT warns for these.
    public var sinkhornNumericalErrors: Int
    public var sinkhornUnconverged: Int
    /// |sum(T) - 1|: far from 0 when the solver failed (POT warns above 1e-5).
    public var massError: Double

    enum CodingKeys: String, CodingKey {
        case loss, iterations, converged, massError = "mass_error"
        case sinkhornNumericalErrors = "sinkhorn_numerical_errors", sinkhornUnconverged = "sinkhorn_unconverged"
    }
}

/// Entropic Gromov-Wasserstein between two metric spaces given by their distance matrices,
/// with the square loss and uniform weights: POT's
/// `ot.gromov.entropic_gromov_wasserstein2(C1, C2, loss_fun="square_loss", epsilon, max_iter,
/// tol, solver="PGD")` iteration for iteration, for symmetric C1 and C2.
///
/// With p = 1/n and q = 1/m: constC[i,j] = sum_k C1[i,k]^2 p_k + sum_l C2[j,l]^2 q_l;
/// tens(T) = constC - 2 C1 T C2; starting from T = p q^T, each outer iteration solves Sinkhorn
/// with cost 2 tens(T) and regularisation epsilon; every tenth iteration (0, 10, ...) the
/// Frobenius norm of the change of T is compared with the tolerance. The loss is
/// sum(tens(T) * T) of the final plan.
public enum GromovWasserstein {
    /// Solves for `c1` (`n x n`) and `c2` (`m x m`), both symmetric and row-major.
    public static func solve(_ c1: [Double], n: Int, _ c2: [Double], m: Int, settings: GromovWassersteinSettings = .init(),
                             threads: Int = Parallel.defaultThreads) throws -> GromovWassersteinResult {
        precondition(c1.count == n * n && c2.count == m * m && n > 0 && m > 0)
        guard isSymmetric(c1, n), isSymmetric(c2, m) else {
            throw DataError("Gromov-Wasserstein: the distance matrices must be symmetric")
        }
        guard settings.epsilon > 0 else { throw DataError("Gromov-Wasserstein: epsilon must be > 0") }
        let p = 1 / Double(n), q = 1 / Double(m)
        var constC = [Double](repeating: 0, count: n * m)
        var rowTerm = [Double](repeating: 0, count: n), columnTerm = [Double](repeating: 0, count: m)
        for i in 0..<n { var s = 0.0; for k in 0..<n { s += c1[i * n + k] * c1[i * n + k] * p }; rowTerm[i] = s }
        for j in 0..<m { var s = 0.0; for l in 0..<m { s += q * c2[j * m + l] * c2[j * m + l] }; columnTerm[j] = s }
        for i in 0..<n { for j in 0..<m { constC[i * m + j] = rowTerm[i] + columnTerm[j] } }

        var plan = [Double](repeating: p * q, count: n * m)
        var previous = plan
        var tens = [Double](repeating: 0, count: n * m)
        var scratch = [Double](repeating: 0, count: n * m)
        let sinkhorn = Sinkhorn(n: n, m: m, maxIterations: settings.sinkhornMaxIterations, stopThreshold: settings.sinkhornStopThreshold)
        defer { sinkhorn.deallocate() }
        var cpt = 0
        var err = 1.0
        var numerical = 0, unconverged = 0
        while err > settings.tolerance && cpt < settings.maxIterations {
            swap(&previous, &plan)
            computeTens(c1, c2, previous, constC, n, m, &scratch, &tens, threads)
            for i in 0..<(n * m) { tens[i] *= 2 }  // the gradient
            let outcome = tens.withUnsafeBufferPointer { cost in
                plan.withUnsafeMutableBufferPointer { sinkhorn.solve(cost: cost.baseAddress!, regularisation: settings.epsilon, plan: $0.baseAddress!) }
            }
            if outcome.numericalError { numerical += 1 } else if !outcome.converged { unconverged += 1 }
            if cpt % 10 == 0 {
                var s = 0.0
                for i in 0..<(n * m) { let d = plan[i] - previous[i]; s += d * d }
                err = s.squareRoot()
            }
            cpt += 1
        }
        computeTens(c1, c2, plan, constC, n, m, &scratch, &tens, threads)
        var loss = 0.0, mass = 0.0
        for i in 0..<(n * m) { loss += tens[i] * plan[i]; mass += plan[i] }
        return GromovWassersteinResult(loss: loss, iterations: cpt, converged: err <= settings.tolerance,
                                       sinkhornNumericalErrors: numerical, sinkhornUnconverged: unconverged,
                                       massError: abs(mass - 1))
    }

    /// tens = constC - 2 c1 . plan . c2.
    static func computeTens(_ c1: [Double], _ c2: [Double], _ plan: [Double], _ constC: [Double], _ n: Int, _ m: Int,
                            _ scratch: inout [Double], _ tens: inout [Double], _ threads: Int) {
        c1.withUnsafeBufferPointer { a in
            plan.withUnsafeBufferPointer { t in
                scratch.withUnsafeMutableBufferPointer { s in
                    MatrixProduct.multiply(a.baseAddress!, t.baseAddress!, into: s.baseAddress!, n: n, k: n, m: m, threads: threads)
                }
            }
        }
        scratch.withUnsafeBufferPointer { s in
            c2.withUnsafeBufferPointer { b in
                tens.withUnsafeMutableBufferPointer { o in
                    MatrixProduct.multiply(s.baseAddress!, b.baseAddress!, into: o.baseAddress!, n: n, k: m, m: m, threads: threads)
                }
            }
        }
        for i in 0..<(n * m) { tens[i] = constC[i] - 2 * tens[i] }
    }

    /// POT's test: allclose(C, C^T, atol=1e-10) with numpy's default rtol 1e-5.
    static func isSymmetric(_ c: [Double], _ n: Int) -> Bool {
        for i in 0..<n {
            for j in (i + 1)..<max(i + 1, n) where abs(c[i * n + j] - c[j * n + i]) > 1e-10 + 1e-5 * abs(c[j * n + i]) {
                return false
            }
        }
        return true
    }
}
