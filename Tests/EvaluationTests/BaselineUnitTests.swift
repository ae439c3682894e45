import Foundation
import SingleCell
import XCTest
@testable import Evaluation

/// The pieces of the strong annotation baselines on inputs small enough to reason about.
final class BaselineUnitTests: XCTestCase {
    /// Bin codes from pandas 2.3.3 `pd.cut(pd.Series(x), bins=b).cat.codes`: values on an edge
    /// go to the lower bin, the smallest value is inside the widened first bin, and equal values
    /// are spread around their value.
    func testEqualWidthBinsEqualPandasCut() {
        XCTAssertEqual(EqualWidthBins.assign([0, 1, 2, 3, 4], bins: 4), [0, 0, 1, 2, 3])
        XCTAssertEqual(EqualWidthBins.assign([0, 0.5, 1, 1.5, 2, 0.25], bins: 4), [0, 0, 1, 2, 3, 0])
        XCTAssertEqual(EqualWidthBins.assign([2.5, 2.5, 2.5], bins: 3), [1, 1, 1])
        XCTAssertEqual(EqualWidthBins.assign([0, 0], bins: 2), [0, 0])
        XCTAssertEqual(EqualWidthBins.assign([0.1, 0.7, 0.3, 0.9, 0.5, 0.2], bins: 20), [0, 14, 4, 19, 9, 2])
    }

    /// scanpy's rule for a bin with one usable dispersion gives that gene 1; genes with no
    /// dispersion stay NaN and are never selected.
    func testSingleGeneBinsNormaliseToOne() {
        let normalized = HighlyVariableGenes.normalize([0.5, .nan, 2, 3, 4], bins: [0, 0, 1, 1, 1], binCount: 2)
        XCTAssertEqual(normalized[0], 1)
        XCTAssertTrue(normalized[1].isNaN)
        XCTAssertEqual(normalized[2], -1, accuracy: 1e-12)
        XCTAssertEqual(normalized[3], 0, accuracy: 1e-12)
        XCTAssertEqual(normalized[4], 1, accuracy: 1e-12)
    }

    /// L-BFGS finds the minimum of an ill-conditioned convex quadratic to the tolerance.
    func testLBFGSMinimisesAQuadratic() {
        let n = 50
        let scale = (0..<n).map { pow(10, Double($0) / Double(n - 1) * 4) }  // condition number 1e4
        let target = (0..<n).map { sin(Double($0)) }
        let x = UnsafeMutablePointer<Double>.allocate(capacity: n)
        defer { x.deallocate() }
        x.initialize(repeating: 0, count: n)
        let result = LBFGS.minimize(dimension: n, x: x, gradientTolerance: 1e-10, maxIterations: 10_000) { p, g in
            var f = 0.0
            for i in 0..<n {
                let d = p[i] - target[i]
                f += 0.5 * scale[i] * d * d
                g[i] = scale[i] * d
            }
            return f
        }
        XCTAssertTrue(result.converged)
        for i in 0..<n { XCTAssertEqual(x[i], target[i], accuracy: 1e-9) }
    }

    /// Two separable classes: the logistic regression classifies its training points and its
    /// gradient at the returned point is (numerically) zero.
    func testLogisticRegressionSeparatesTwoClusters() throws {
        let dense: [Double] = [0, 1, 0.2, 1.1, 0.1, 0.9, 2, 0, 2.2, 0.1, 1.9, 0.2]
        let x = FeatureRows(dense: dense, rows: 6, columns: 2)
        let labels: [Int32] = [0, 0, 0, 1, 1, 1]
        let model = try LogisticRegression.fit(x, labels: labels, classCount: 2)
        XCTAssertTrue(model.optimization.converged)
        XCTAssertEqual(model.predict(x), labels)
        XCTAssertEqual(model.intercepts.reduce(0, +), 0, accuracy: 1e-12)
        // Softmax coefficients of two classes are opposite (the penalty splits them evenly).
        for j in 0..<2 { XCTAssertEqual(model.coefficients[j], -model.coefficients[2 + j], accuracy: 1e-6) }
    }

    /// scanpy's scale: unbiased deviation, constant columns left at 0, clipping at ±max.
    func testFeatureScalingMatchesScanpyScale() {
        let x: [Double] = [0, 5, 1, 5, 2, 5, 100, 5]
        let s = FeatureScaling(fitting: x, rows: 4, columns: 2, maxValue: 1)
        XCTAssertEqual(s.mean, [25.75, 5])
        XCTAssertEqual(s.standardDeviation[1], 1)
        let sd = ((pow(25.75, 2) + pow(24.75, 2) + pow(23.75, 2) + pow(74.25, 2)) / 3).squareRoot()
        XCTAssertEqual(s.standardDeviation[0], sd, accuracy: 1e-12)
        for (a, b) in zip(s.apply(x), [-25.75 / sd, 0, -24.75 / sd, 0, -23.75 / sd, 0, 1, 0]) { XCTAssertEqual(a, b, accuracy: 1e-12) }
    }
}
