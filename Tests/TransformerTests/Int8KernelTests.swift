import CKernels
import Foundation
@testable import Transformer
import XCTest

/// The weight-only int8 kernels: per-row quantization (`c2s_quantize_rows_i8`) and the
/// products over int8 weights (`Matmul.linearInt8`: `c2s_linear_few_rows_i8` for m ≤ 16, bf16
/// panels through `Matmul.linearBF16` above), each against a double-precision product of the
/// dequantized weights.
final class Int8KernelTests: XCTestCase {
    /// Deterministic values in [-1, 1).
    struct Values {
        var state: UInt64
        mutating func next() -> Float {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Float(Int64(bitPattern: state >> 11) % (1 << 24)) / Float(1 << 23) - 1
        }
        mutating func floats(_ count: Int) -> [Float] { (0..<count).map { _ in next() } }
    }

    /// int8 rows with per-row scales from `Values`, and inputs.
    func quantized(n: Int, k: Int, seed: UInt64) -> (q: [Int8], scales: [Float]) {
        var v = Values(state: seed)
        let w = v.floats(n * k).enumerated().map { $0.element * Float(1 + $0.offset / k % 5) }
        var q = [Int8](repeating: 0, count: n * k), scales = [Float](repeating: 0, count: n)
        c2s_quantize_rows_i8(w, &q, &scales, n, k)
        return (q, scales)
    }

    /// `y (+)= x · (diag(scales) · q)ᵀ` in double.
    func reference(_ x: [Float], _ q: [Int8], _ scales: [Float], m: Int, n: Int, k: Int, start: [Float]?) -> [Double] {
        reference(x.map(Double.init), q, scales, m: m, n: n, k: k, start: start)
    }

    func reference(_ x: [Double], _ q: [Int8], _ scales: [Float], m: Int, n: Int, k: Int, start: [Float]?) -> [Double] {
        var y = [Double](repeating: 0, count: m * n)
        for i in 0..<m {
            for j in 0..<n {
                var s = 0.0
                for p in 0..<k { s += x[i * k + p] * Double(q[j * k + p]) }
                y[i * n + j] = Double(scales[j]) * s + (start.map { Double($0[i * n + j]) } ?? 0)
            }
        }
        return y
    }

    /// The largest |ours − reference| over `Σ|x·w|` (+ |start| when accumulating) of the
    /// output, so one bound holds for every k: fp32 accumulation of k terms errs by about
    /// k·2⁻²⁴ of that sum.
    func relativeError(_ ours: [Float], _ reference: [Double], _ x: [Float], _ q: [Int8], _ scales: [Float], m: Int, n: Int, k: Int,
                       start: [Float]? = nil) -> Double {
        var worst = 0.0
        for i in 0..<m {
            for j in 0..<n {
                var magnitude = 1e-30 + (start.map { Double(abs($0[i * n + j])) } ?? 0)
                for p in 0..<k { magnitude += abs(Double(x[i * k + p]) * Double(q[j * k + p]) * Double(scales[j])) }
                worst = max(worst, abs(Double(ours[i * n + j]) - reference[i * n + j]) / magnitude)
            }
        }
        return worst
    }

    /// `x` as the kernel reads it where it quantizes it (`c2s_i8_rounds_activations`): int16
    /// per row, times the row's scale (in Double, exact).
    static func quantizedActivations(_ x: [Float], m: Int, k: Int) -> [Double] {
        var xq = [Int16](repeating: 0, count: m * k), xs = [Float](repeating: 0, count: m)
        c2s_i8_quantize_activations(x, &xq, &xs, m, k)
        return (0..<(m * k)).map { Double(xq[$0]) * Double(xs[$0 / k]) }
    }

    /// Every decoding shape m = 1...16, odd and short k (tail masks, k below one vector), n
    /// that is not a multiple of the 2-, 4- or 8-row blocks, with and without accumulation, for
    /// the run-time path and the portable one. The run-time path is held to the double
    /// product of what it multiplies: x quantized to int16 per row where it says so
    /// (`c2s_i8_rounds_activations`: several rows on AVX512_VNNI CPUs), x itself otherwise.
    /// The two paths agree within 2e-4 of Σ|x·w| where x is quantized (measured 1.1e-4: half of
    /// max|x|/16383 per element), 1e-5 otherwise.
    func testFewRowsKernelAgainstDoubleProductOverEdges() {
        var worst = 0.0, worstAgreement = 0.0
        for m in 1...16 {
            for k in [1, 7, 16, 33, 257, 2100] {
                for n in [1, 3, 9, 21] {
                    let (q, scales) = quantized(n: n, k: k, seed: UInt64(m * 1000 + k * 10 + n))
                    var v = Values(state: UInt64(m + k + n))
                    let x = v.floats(m * k), start = v.floats(m * n)
                    let rounds = c2s_i8_rounds_activations(m) != 0
                    let read = rounds ? Self.quantizedActivations(x, m: m, k: k) : x.map(Double.init)
                    for accumulate in [false, true] {
                        let s = accumulate ? start : nil
                        var fast = start, portable = start
                        c2s_linear_few_rows_i8(x, q, scales, &fast, m, k, n, 0, n, accumulate ? 1 : 0)
                        c2s_linear_few_rows_i8_portable(x, q, scales, &portable, m, k, n, 0, n, accumulate ? 1 : 0)
                        let e = max(relativeError(fast, reference(read, q, scales, m: m, n: n, k: k, start: s), x, q, scales, m: m, n: n, k: k, start: s),
                                    relativeError(portable, reference(x, q, scales, m: m, n: n, k: k, start: s), x, q, scales, m: m, n: n, k: k, start: s))
                        worst = max(worst, e)
                        XCTAssertLessThan(e, 1e-5, "m \(m) k \(k) n \(n) accumulate \(accumulate)")
                        let agreement = relativeError(fast, portable.map(Double.init), x, q, scales, m: m, n: n, k: k, start: s)
                        worstAgreement = max(worstAgreement, agreement)
                        XCTAssertLessThan(agreement, rounds ? 2e-4 : 1e-5, "m \(m) k \(k) n \(n): fast vs portable")
                        if rounds && k > 1 { XCTAssertGreaterThan(agreement, 0, "m \(m) k \(k): x was not rounded") }
                    }
                }
            }
        }
        print("int8 few-rows kernel (\(String(cString: c2s_i8_path())), x rounded for m > 1: \(c2s_i8_rounds_activations(2) != 0)): worst error \(worst) of Σ|x·w|, fast vs portable \(worstAgreement)")
    }

    /// A column range [j0, j1) writes exactly those columns (the threads split n this way).
    func testFewRowsKernelWritesOnlyItsColumns() {
        let (m, n, k) = (3, 13, 40)
        let (q, scales) = quantized(n: n, k: k, seed: 5)
        var v = Values(state: 9)
        let x = v.floats(m * k)
        var y = [Float](repeating: -7, count: m * n)
        c2s_linear_few_rows_i8(x, q, scales, &y, m, k, n, 5, 10, 0)
        let expected = reference(c2s_i8_rounds_activations(m) != 0 ? Self.quantizedActivations(x, m: m, k: k) : x.map(Double.init), q, scales, m: m, n: n, k: k, start: nil)
        for i in 0..<m {
            for j in 0..<n {
                if (5..<10).contains(j) {
                    XCTAssertEqual(Double(y[i * n + j]), expected[i * n + j], accuracy: 1e-4)
                } else {
                    XCTAssertEqual(y[i * n + j], -7, "column \(j) outside the range was written")
                }
            }
        }
    }

    /// `Matmul.linearInt8` across the decoding/prefill boundary (m = 16 takes the kernel, 17 and
    /// 40 the bf16 panels; n spans several panels when k is large). The panels may round x to
    /// bfloat16 (`linearBF16` on AVX512_BF16 CPUs), so their bound is bf16's 2⁻⁸ of Σ|x·w|;
    /// the kernel's int16 x is held to 2e-4, one row (fp32 x) to 1e-5.
    func testLinearInt8AcrossTheKernelBoundary() {
        for (m, n, k, bound) in [(16, 70, 33, 2e-4), (17, 70, 33, 4e-3), (40, 1100, 520, 4e-3), (3, 1100, 2100, 2e-4), (1, 1100, 520, 1e-5)] {
            let (q, scales) = quantized(n: n, k: k, seed: UInt64(m * n))
            var v = Values(state: UInt64(k))
            let x = v.floats(m * k), start = v.floats(m * n)
            for accumulate in [false, true] {
                var y = start
                q.withUnsafeBufferPointer { qp in
                    Matmul.linearInt8(x, qp.baseAddress!, scales: scales, into: &y, m: m, n: n, k: k, accumulate: accumulate)
                }
                let expected = reference(x, q, scales, m: m, n: n, k: k, start: accumulate ? start : nil)
                let e = relativeError(y, expected, x, q, scales, m: m, n: n, k: k, start: accumulate ? start : nil)
                XCTAssertLessThan(e, bound, "m \(m) n \(n) k \(k) accumulate \(accumulate)")
            }
        }
    }

    /// Quantizing a row keeps every value within half the row's scale (the rounding to nearest;
    /// 1e-4 of the scale of room for the float product v · 127/max), the row's largest |value|
    /// maps to ±127, and the scale is max|row| / 127. An all-zero row gets scale 0 and zeros.
    func testQuantizationRoundTripWithinHalfAScalePerRow() {
        let (n, k) = (37, 301)
        var v = Values(state: 77)
        var w = v.floats(n * k).enumerated().map { $0.element * pow(10, Float($0.offset / k % 7) - 3) }
        for p in 0..<k { w[4 * k + p] = 0 }
        var q = [Int8](repeating: 0, count: n * k), scales = [Float](repeating: -1, count: n)
        c2s_quantize_rows_i8(w, &q, &scales, n, k)
        for j in 0..<n {
            let row = w[(j * k)..<((j + 1) * k)]
            let top = row.map(abs).max()!
            XCTAssertEqual(scales[j], top / 127, "row \(j)")
            if top == 0 {
                XCTAssertEqual(scales[j], 0)
                XCTAssertTrue(q[(j * k)..<((j + 1) * k)].allSatisfy { $0 == 0 })
                continue
            }
            XCTAssertEqual(q[(j * k)..<((j + 1) * k)].map { abs(Int($0)) }.max(), 127, "row \(j)")
            for p in 0..<k {
                let error = abs(Double(w[j * k + p]) - Double(q[j * k + p]) * Double(scales[j]))
                XCTAssertLessThanOrEqual(error, Double(scales[j]) * 0.5 * (1 + 1e-4), "row \(j) column \(p)")
            }
        }
    }

    /// int8 → bfloat16 widening is exact for every int8 value.
    func testWideningToBFloat16IsExact() {
        let all = (-128...127).map { Int8($0) }
        var bits = [UInt16](repeating: 0, count: all.count)
        c2s_i8_to_bf16(all, &bits, all.count)
        for (value, b) in zip(all, bits) { XCTAssertEqual(Float(bitPattern: UInt32(b) << 16), Float(value)) }
    }
}
