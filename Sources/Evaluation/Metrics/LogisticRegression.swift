import CBLAS
import Foundation
import SingleCell

/// Multinomial (softmax) logistic regression with an L2 penalty and an unpenalised intercept:
/// the model of scikit-learn's `LogisticRegression()` (C = 1, lbfgs, multinomial for more than
/// two classes, one coefficient vector per class).
///
/// It minimises sum_i [log sum_k exp(z_ik) - z_i,y_i] + |W|^2 / (2C), with z_ik = w_k . x_i + b_k,
/// (scikit-learn divides the same function by the number of cells, which moves no minimiser).
/// The objective is strictly convex in W, so the coefficients are unique; the intercepts are
/// unique up to a shift common to all classes, which a softmax ignores, and are reported summing
/// to 0 (where L-BFGS started from zero keeps them, scikit-learn's included).
///
/// scikit-learn stops its L-BFGS when the largest gradient component of the mean loss is below
/// tol = 1e-4, which leaves its coefficients about 1e-3 from the optimum; this fit goes to the
/// optimum (default tolerance 1e-9 on the same scale), so it equals scikit-learn run with a tight
/// `tol`, and its predictions can differ from scikit-learn's default fit only on cells that fit
/// sits on the boundary of.
///
/// One evaluation of the loss and gradient is two products of the cells x features matrix with a
/// features x classes one. Log-normalised expression is mostly zeros (about 4 % of the 2,000
/// HVG values are stored on kang-ifnb), so a sparse matrix is multiplied entry by entry, a
/// class row of multiply-adds per stored value, 20x less work than the dense product; a matrix
/// that is more than a quarter full (scaled data) goes through BLAS (`cblas_dgemm`). Both in
/// double precision, so the gradient stays accurate down to the tight tolerance.
public struct LogisticRegression: Sendable {
    public let classCount: Int
    public let featureCount: Int
    /// `classCount x featureCount`, row-major.
    public let coefficients: [Double]
    /// One per class, summing to 0.
    public let intercepts: [Double]
    /// What the optimiser did.
    public let optimization: LBFGS.Result

    /// Fits the rows of `x` to class codes `labels` (each in 0..<classCount). `tolerance`
    /// bounds the largest gradient component of the mean loss.
    public static func fit(_ x: FeatureRows, labels: [Int32], classCount: Int, c: Double = 1,
                           tolerance: Double = 1e-9, maxIterations: Int = 20_000) throws -> LogisticRegression {
        let rows = x.rowCount, columns = x.columnCount
        precondition(labels.count == rows)
        guard classCount >= 2 else { throw DataError("logistic regression needs at least 2 classes in the training cells, found \(classCount)") }
        guard c > 0 else { throw DataError("the inverse regularisation C must be positive, not \(c)") }
        precondition(labels.allSatisfy { $0 >= 0 && Int($0) < classCount })
        let k = classCount, d = columns, n = rows
        // Parameters: W^T (features x classes, so a feature's class weights are contiguous for
        // the sparse product), then b.
        let parameterCount = k * d + k
        let theta = UnsafeMutablePointer<Double>.allocate(capacity: parameterCount)
        let z = UnsafeMutablePointer<Double>.allocate(capacity: n * k)
        defer { theta.deallocate(); z.deallocate() }
        theta.initialize(repeating: 0, count: parameterCount)
        let dense = x.values.count * 4 > rows * columns ? x.dense() : []
        let result = x.indptr.withUnsafeBufferPointer { p in
        x.indices.withUnsafeBufferPointer { i in
        x.values.withUnsafeBufferPointer { v in
        dense.withUnsafeBufferPointer { xd in
        labels.withUnsafeBufferPointer { lb in
            let matrix = DataMatrix(n: n, d: d, indptr: p.baseAddress!, indices: i.baseAddress, values: v.baseAddress,
                                    dense: dense.isEmpty ? nil : xd.baseAddress!)
            return LBFGS.minimize(dimension: parameterCount, x: theta, gradientTolerance: tolerance * Double(n),
                                  maxIterations: maxIterations) { w, grad in
                loss(matrix, labels: lb.baseAddress!, k: k, c: c, parameters: w, gradient: grad, z: z)
            }
        }}}}}
        var coefficients = [Double](repeating: 0, count: k * d)
        for j in 0..<d { for cl in 0..<k { coefficients[cl * d + j] = theta[j * k + cl] } }
        var intercepts = Array(UnsafeBufferPointer(start: theta + k * d, count: k))
        let shift = intercepts.reduce(0, +) / Double(k)
        intercepts = intercepts.map { $0 - shift }
        if coefficients.contains(where: { !$0.isFinite }) { coefficients = [] }
        guard !coefficients.isEmpty else { throw DataError("logistic regression diverged (non-finite coefficients)") }
        return LogisticRegression(classCount: k, featureCount: d, coefficients: coefficients, intercepts: intercepts, optimization: result)
    }

    /// The cells x features matrix as the loss reads it: CSR arrays, and the dense row-major
    /// copy when it is full enough for BLAS.
    struct DataMatrix {
        let n: Int, d: Int
        // indices and values are nil only when nothing is stored (no loop reads them then).
        let indptr: UnsafePointer<Int>, indices: UnsafePointer<Int32>?, values: UnsafePointer<Double>?
        let dense: UnsafePointer<Double>?
    }

    /// The objective and its gradient at `parameters` (W^T then b). `z` is an `n x k` scratch buffer.
    static func loss(_ x: DataMatrix, labels: UnsafePointer<Int32>, k: Int, c: Double,
                     parameters w: UnsafePointer<Double>, gradient: UnsafeMutablePointer<Double>, z: UnsafeMutablePointer<Double>) -> Double {
        let n = x.n, d = x.d
        // Z = X W^T
        if let dense = x.dense {
            cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(n), Int32(k), Int32(d), 1, dense, Int32(d), w, Int32(k), 0, z, Int32(k))
        } else {
            z.update(repeating: 0, count: n * k)
            for i in 0..<n {
                let row = z + i * k
                for e in x.indptr[i]..<x.indptr[i + 1] {
                    let v = x.values![e], weights = w + Int(x.indices![e]) * k
                    for j in 0..<k { row[j] += v * weights[j] }
                }
            }
        }
        let b = w + k * d
        let gb = gradient + k * d
        for j in 0..<k { gb[j] = 0 }
        var total = 0.0
        // Softmax per cell; z becomes the residual P - Y, the gradient of the loss in Z.
        for i in 0..<n {
            let row = z + i * k
            var top = -Double.infinity
            for j in 0..<k { row[j] += b[j]; top = max(top, row[j]) }
            var sum = 0.0
            for j in 0..<k { sum += exp(row[j] - top) }
            let label = Int(labels[i])
            total += top + log(sum) - row[label]
            for j in 0..<k { row[j] = exp(row[j] - top) / sum }
            row[label] -= 1
            for j in 0..<k { gb[j] += row[j] }
        }
        // dW^T = X^T R + W^T / C
        if let dense = x.dense {
            cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, Int32(d), Int32(k), Int32(n), 1, dense, Int32(d), z, Int32(k), 0, gradient, Int32(k))
        } else {
            gradient.update(repeating: 0, count: d * k)
            for i in 0..<n {
                let row = z + i * k
                for e in x.indptr[i]..<x.indptr[i + 1] {
                    let v = x.values![e], g = gradient + Int(x.indices![e]) * k
                    for j in 0..<k { g[j] += v * row[j] }
                }
            }
        }
        var penalty = 0.0
        for e in 0..<(k * d) {
            penalty += w[e] * w[e]
            gradient[e] += w[e] / c
        }
        return total + penalty / (2 * c)
    }

    /// Decision values w_k . x + b_k of the rows of `x`, `rows x classCount` row-major.
    public func decisionValues(_ x: FeatureRows) -> [Double] {
        precondition(x.columnCount == featureCount, "the model was fitted on \(featureCount) features, not \(x.columnCount)")
        var z = [Double](repeating: 0, count: x.rowCount * classCount)
        for i in 0..<x.rowCount {
            for j in 0..<classCount {
                var sum = intercepts[j]
                for e in x.indptr[i]..<x.indptr[i + 1] { sum += x.values[e] * coefficients[j * featureCount + Int(x.indices[e])] }
                z[i * classCount + j] = sum
            }
        }
        return z
    }

    /// The most likely class of every row (the first on a tie, as `np.argmax`).
    public func predict(_ x: FeatureRows) -> [Int32] {
        let z = decisionValues(x)
        return (0..<x.rowCount).map { i in
            var best = 0
            for j in 1..<classCount where z[i * classCount + j] > z[i * classCount + best] { best = j }
            return Int32(best)
        }
    }

    /// Class probabilities (softmax of the decision values), `rows x classCount` row-major.
    public func probabilities(_ x: FeatureRows) -> [Double] {
        var z = decisionValues(x)
        for i in 0..<x.rowCount {
            let row = i * classCount
            var top = -Double.infinity
            for j in 0..<classCount { top = max(top, z[row + j]) }
            var sum = 0.0
            for j in 0..<classCount { z[row + j] = exp(z[row + j] - top); sum += z[row + j] }
            for j in 0..<classCount { z[row + j] /= sum }
        }
        return z
    }
}
