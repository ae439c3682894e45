import CKernels
import XCTest
@testable import Transformer

/// The activations over whole buffers (AVX-512 C kernels where the CPU has them, the Swift
/// vector loops elsewhere) agree with the scalar libm formulas, tails included; the in-place
/// and out-of-place forms and the derivative too.
final class ActivationKernelTests: XCTestCase {
    /// -12 ... 12 in uneven steps, plus values where the formulas clamp or saturate.
    let inputs: [Float] = (0..<1003).map { Float($0) * 0.024 - 12.01 } + [0, -0.0, 1e-7, -1e-7, 40, -40, 90, -90]

    /// `spread`: for products of an activation with another factor, the factor times the input
    /// (erf by A&S 7.1.26 is within 1.5e-7 absolute, so GELU is within ~1e-7·|x|).
    func assertClose(_ got: Float, _ want: Float, _ what: String, spread: Float = 0, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertLessThanOrEqual(abs(got - want), 2e-6 * max(1, abs(want)) + 4e-7 * spread, what, file: file, line: line)
    }

    func testEveryActivationAndDerivativeAgreesWithLibm() {
        for act in Activation.allCases {
            for count in [inputs.count, 16, 5, 33] {
                let x = Array(inputs.prefix(count))
                var inPlace = x
                inPlace.withUnsafeMutableBufferPointer { act.apply($0.baseAddress!, count: count) }
                var outOfPlace = [Float](repeating: .nan, count: count)
                x.withUnsafeBufferPointer { x in outOfPlace.withUnsafeMutableBufferPointer { act.apply(x.baseAddress!, into: $0.baseAddress!, count: count) } }
                var gradient = x.indices.map { Float($0 % 7) - 3 }
                let before = gradient
                x.withUnsafeBufferPointer { x in gradient.withUnsafeMutableBufferPointer { act.multiplyByDerivative($0.baseAddress!, at: x.baseAddress!, count: count) } }
                for i in 0..<count {
                    let what = "\(act) at \(x[i]) (\(count) values, path \(c2s_has_avx512f() != 0 ? "avx512" : "swift"))"
                    assertClose(inPlace[i], act.apply(x[i]), what + " in place")
                    XCTAssertEqual(outOfPlace[i], inPlace[i], what + " out of place")
                    assertClose(gradient[i], before[i] * act.derivative(x[i]), what + " derivative")
                }
            }
        }
    }

    func testGatedUnitsAndTheirGradientAgreeWithLibm() {
        for act in Activation.allCases {
            for (rows, width) in [(3, 37), (2, 16), (5, 5)] {
                let gateUp = (0..<(rows * 2 * width)).map { inputs[($0 * 37) % inputs.count] }
                let dOut = (0..<(rows * width)).map { Float($0 % 5) - 2 }
                var out = [Float](repeating: .nan, count: rows * width)
                var dGateUp = [Float](repeating: .nan, count: rows * 2 * width)
                gateUp.withUnsafeBufferPointer { g in
                    out.withUnsafeMutableBufferPointer { act.applyGated(g.baseAddress!, into: $0.baseAddress!, rows: rows, width: width) }
                    dOut.withUnsafeBufferPointer { d in dGateUp.withUnsafeMutableBufferPointer {
                        act.gatedBackward(d.baseAddress!, gateUp: g.baseAddress!, into: $0.baseAddress!, rows: rows, width: width)
                    } }
                }
                for r in 0..<rows {
                    for i in 0..<width {
                        let gate = gateUp[r * 2 * width + i], up = gateUp[r * 2 * width + width + i], d = dOut[r * width + i]
                        let what = "\(act) gated, row \(r) of \(rows), column \(i) of \(width)"
                        let spread = abs(gate) * abs(up) * max(1, abs(d))
                        assertClose(out[r * width + i], act.apply(gate) * up, what, spread: spread)
                        assertClose(dGateUp[r * 2 * width + i], d * up * act.derivative(gate), what + " d gate", spread: spread)
                        assertClose(dGateUp[r * 2 * width + width + i], d * act.apply(gate), what + " d up", spread: abs(gate * d))
                    }
                }
            }
        }
    }
}
