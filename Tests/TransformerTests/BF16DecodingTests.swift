import CKernels
import XCTest
import TestSupport
@testable import Transformer

/// The optional bfloat16 decoding path: the kernel is exact on bf16-rounded inputs, and a
/// model decoding in bf16 stays close to fp32.
final class BF16DecodingTests: XCTestCase {
    func bf16(_ x: Float) -> Float {
        var bits = x.bitPattern
        bits = bits &+ 0x7FFF &+ ((bits >> 16) & 1)
        return Float(bitPattern: bits & 0xFFFF_0000)
    }

    func testKernelEqualsProductOfRoundedInputs() throws {
        try XCTSkipUnless(ParameterStore.bf16DecodingAvailable, "this CPU lacks AVX512_BF16")
        var rng = SystemRandomNumberGenerator()
        for m in [1, 3, 8, 9, 16] {
            for (n, k) in [(1, 1), (5, 31), (7, 32), (9, 33), (66, 768), (3, 100)] {
                let a = (0..<m * k).map { _ in Float.random(in: -2...2, using: &rng) }
                let w = (0..<n * k).map { _ in Float.random(in: -2...2, using: &rng) }
                let wb = w.map { UInt16(bf16($0).bitPattern >> 16) }
                for accumulate in [false, true] {
                    var y = (0..<m * n).map { _ in Float.random(in: -1...1, using: &rng) }
                    let start = y
                    c2s_linear_few_rows_bf16(a, wb, &y, m, k, n, 0, n, accumulate ? 1 : 0)
                    for i in 0..<m { for j in 0..<n {
                        var s = accumulate ? Double(start[i * n + j]) : 0
                        for p in 0..<k { s += Double(bf16(a[i * k + p])) * Double(bf16(w[j * k + p])) }
                        XCTAssertEqual(Double(y[i * n + j]), s, accuracy: 1e-4 * Double(max(1, k / 32)), "m \(m) n \(n) k \(k)")
                    } }
                }
            }
        }
    }

    /// Decoding steps read the bf16 weights; their logits stay within 2% of the logits' range
    /// of fp32 on the fixture models (prompt logits are unchanged: prefill is fp32).
    func testDecodingLogitsStayCloseToFP32() throws {
        try XCTSkipUnless(ParameterStore.bf16DecodingAvailable, "this CPU lacks AVX512_BF16")
        for name in ["gpt2", "gpt_neox", "llama", "gemma2"] {
            let folder = TestPaths.fixtures.appendingPathComponent("lm/\(name)")
            let fp32 = try ModelLoader.load(folder: folder), half = try ModelLoader.load(folder: folder)
            XCTAssertTrue(half.parameters.enableBF16Decoding())
            let tokens: [Int32] = [5, 17, 99, 3, 42, 42, 7, 200, 13, 54]
            var worst: Float = 0, scale: Float = 0
            var caches = [fp32.makeCache(capacities: [tokens.count]), half.makeCache(capacities: [tokens.count])]
            for (t, token) in tokens.enumerated() {
                var batch = ForwardBatch()
                batch.append(slot: 0, newTokens: [token], past: t)
                let a = try fp32.forward(batch, cache: caches[0], logits: .all, hiddenStates: false)
                let b = try half.forward(batch, cache: caches[1], logits: .all, hiddenStates: false)
                worst = max(worst, zip(a.logits, b.logits).map { abs($0 - $1) }.max()!)
                scale = max(scale, a.logits.map { abs($0) }.max()!)
            }
            caches.removeAll()
            print("bf16 decoding \(name): max abs logit difference \(worst), largest abs logit \(scale)")
            XCTAssertLessThan(worst / scale, 0.02, "\(name): max |logit difference| \(worst), largest |logit| \(scale)")
            XCTAssertGreaterThan(worst, 0, "\(name): bf16 path not used")
        }
    }
}
