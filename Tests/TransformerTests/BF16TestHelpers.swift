import CKernels
@testable import Transformer

/// bfloat16 conversions shared by the tests of the bf16 kernels.
enum BF16Test {
    /// `x` rounded to bfloat16 (nearest, ties to even) by the library's own conversion.
    static func bits(_ x: [Float]) -> [UInt16] {
        var out = [UInt16](repeating: 0, count: x.count)
        x.withUnsafeBufferPointer { s in out.withUnsafeMutableBytes { d in
            FloatConversion.floatToBFloat16(s.baseAddress!, d.baseAddress!, count: x.count)
        } }
        return out
    }

    /// A bfloat16 value, exactly, in double precision.
    static func widen(_ b: UInt16) -> Double { Double(Float(bitPattern: UInt32(b) << 16)) }
}
