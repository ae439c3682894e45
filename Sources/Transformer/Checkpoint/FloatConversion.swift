import Dispatch
import Foundation

#if _endian(big)
#error("safetensors stores little-endian data; the converters below assume a little-endian host")
#endif

/// Source and destination of a conversion, handed to worker threads.
/// `@unchecked Sendable` because each worker touches a disjoint range of the destination and
/// the source is read-only mapped memory.
struct ConversionPointers: @unchecked Sendable {
    let source: UnsafeRawPointer
    let destination: UnsafeMutableRawPointer
}

/// Element conversions between the stored floating types and `Float`.
///
/// Loops work on 16 elements at a time with `SIMD16` integer bit tricks (the build targets plain
/// x86-64, so there is no F16C instruction to lean on, and `Float16` conversion would call a
/// library routine per element). Sources are loaded with `loadUnaligned` because a header whose
/// length is not a multiple of 8 leaves the data region unaligned, and such files are valid.
enum FloatConversion {
    /// Tensors with fewer elements are converted on the calling thread; above it, the work is
    /// split over the cores. 256 Ki elements is ~0.1 ms of work, well above the ~0.4 µs cost
    /// of `concurrentPerform`.
    static let parallelThreshold = 1 << 18

    /// Converts `count` elements of `dtype` at `source` into `destination`, spreading large
    /// tensors over all cores. `dtype` must be loadable as float.
    static func toFloat(_ source: UnsafeRawPointer, dtype: SafetensorsDType, into destination: UnsafeMutablePointer<Float>, count: Int) {
        let itemBytes = dtype.bitSize / 8
        let pointers = ConversionPointers(source: source, destination: UnsafeMutableRawPointer(destination))
        forEachChunk(count: count) { range in
            toFloatSerial(pointers.source + range.lowerBound * itemBytes, dtype: dtype,
                          into: pointers.destination.assumingMemoryBound(to: Float.self) + range.lowerBound,
                          count: range.count)
        }
    }

    /// Copies `count` elements of `dtype` at `source` into `destination` as bfloat16 bits: BF16
    /// as they are, other floating types through fp32 and rounded to nearest-even
    /// (`floatToBFloat16`), spreading large tensors over all cores.
    static func toBFloat16(_ source: UnsafeRawPointer, dtype: SafetensorsDType, into destination: UnsafeMutablePointer<UInt16>, count: Int) {
        let itemBytes = dtype.bitSize / 8
        let pointers = ConversionPointers(source: source, destination: UnsafeMutableRawPointer(destination))
        forEachChunk(count: count) { range in
            let from = pointers.source + range.lowerBound * itemBytes
            let to = pointers.destination + range.lowerBound * 2
            if dtype == .bf16 {
                to.copyMemory(from: from, byteCount: range.count * 2)
                return
            }
            // Through a small fp32 buffer that stays in L1/L2.
            let block = 4096
            let floats = UnsafeMutablePointer<Float>.allocate(capacity: block)
            defer { floats.deallocate() }
            var i = 0
            while i < range.count {
                let n = min(block, range.count - i)
                toFloatSerial(from + i * itemBytes, dtype: dtype, into: floats, count: n)
                floatToBFloat16(floats, to + i * 2, count: n)
                i += n
            }
        }
    }

    /// Splits `0..<count` into one chunk per core (chunk starts multiples of 16) and runs `body`
    /// on each, in parallel when `count` is large.
    static func forEachChunk(count: Int, _ body: @Sendable (Range<Int>) -> Void) {
        let cores = ProcessInfo.processInfo.activeProcessorCount
        guard count >= parallelThreshold, cores > 1 else {
            if count > 0 { body(0..<count) }
            return
        }
        let chunks = min(cores, count / (parallelThreshold / 2))
        let step = ((count + chunks - 1) / chunks + 15) & ~15
        DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
            let start = chunk * step
            let end = min(count, start + step)
            if start < end { body(start..<end) }
        }
    }

    /// Converts on the calling thread.
    static func toFloatSerial(_ source: UnsafeRawPointer, dtype: SafetensorsDType, into destination: UnsafeMutablePointer<Float>, count: Int) {
        switch dtype {
        case .f32: UnsafeMutableRawPointer(destination).copyMemory(from: source, byteCount: count * 4)
        case .f16: halfToFloat(source, destination, count: count)
        case .bf16: bfloat16ToFloat(source, destination, count: count)
        case .f64: doubleToFloat(source, destination, count: count)
        default: preconditionFailure("\(dtype.rawValue) is not a floating type; callers check isLoadableAsFloat")
        }
    }

    // MARK: BF16 → F32

    /// BF16 is the top half of an F32, so widening is exact for every value, NaN payloads included.
    static func bfloat16ToFloat(_ source: UnsafeRawPointer, _ destination: UnsafeMutablePointer<Float>, count: Int) {
        let out = UnsafeMutableRawPointer(destination)
        var i = 0
        while i + 16 <= count {
            let h = source.loadUnaligned(fromByteOffset: i * 2, as: SIMD16<UInt16>.self)
            out.storeBytes(of: SIMD16<UInt32>(truncatingIfNeeded: h) &<< 16, toByteOffset: i * 4, as: SIMD16<UInt32>.self)
            i += 16
        }
        while i < count {
            let h = source.loadUnaligned(fromByteOffset: i * 2, as: UInt16.self)
            destination[i] = Float(bitPattern: UInt32(h) << 16)
            i += 1
        }
    }

    // MARK: F16 → F32

    /// IEEE half to single, exact for every input. The half's exponent and mantissa are placed
    /// in float position and multiplied by 2¹¹² (the difference of the exponent biases, 127 − 15):
    /// normals get the right exponent, and subnormal halves, which land on float subnormals, come
    /// out normalised by the same exact multiplication. Inputs with the all-ones half exponent come
    /// out ≥ 2¹⁶ and get the all-ones float exponent, keeping the mantissa (inf stays inf, NaN
    /// payloads are kept as F16C and numpy keep them). Then the sign is put back.
    /// (Integer-compare-and-select formulations measured 15× slower here: Swift lowers
    /// `SIMD16<UInt32>` equality masks poorly, while the float compare is one instruction.)
    static func halfToFloat(_ source: UnsafeRawPointer, _ destination: UnsafeMutablePointer<Float>, count: Int) {
        let out = UnsafeMutableRawPointer(destination)
        var i = 0
        while i + 16 <= count {
            let h = SIMD16<UInt32>(truncatingIfNeeded: source.loadUnaligned(fromByteOffset: i * 2, as: SIMD16<UInt16>.self))
            out.storeBytes(of: halfBitsToFloatBits(h), toByteOffset: i * 4, as: SIMD16<UInt32>.self)
            i += 16
        }
        while i < count {
            let h = UInt32(source.loadUnaligned(fromByteOffset: i * 2, as: UInt16.self))
            destination[i] = Float(bitPattern: halfBitsToFloatBits(SIMD16<UInt32>(repeating: h))[0])
            i += 1
        }
    }

    @inline(__always)
    static func halfBitsToFloatBits(_ h: SIMD16<UInt32>) -> SIMD16<UInt32> {
        let magnitude = (h & 0x7FFF) &<< 13
        let scaled = unsafeBitCast(magnitude, to: SIMD16<Float>.self) * SIMD16<Float>(repeating: 0x1p112)
        let infOrNaN = unsafeBitCast(scaled .>= SIMD16<Float>(repeating: 65536), to: SIMD16<UInt32>.self)
        return unsafeBitCast(scaled, to: SIMD16<UInt32>.self) | (infOrNaN & 0x7F80_0000) | ((h & 0x8000) &<< 16)
    }

    // MARK: F64 → F32

    static func doubleToFloat(_ source: UnsafeRawPointer, _ destination: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count {
            destination[i] = Float(source.loadUnaligned(fromByteOffset: i * 8, as: Double.self))
        }
    }

    // MARK: F32 → BF16 (writing)

    /// Rounds to nearest, ties to even, as PyTorch's `float → bfloat16` does; overflow rounds to
    /// infinity; every NaN becomes the canonical quiet NaN 0x7FC0 (PyTorch's scalar rule).
    static func floatToBFloat16(_ source: UnsafePointer<Float>, _ destination: UnsafeMutableRawPointer, count: Int) {
        let input = UnsafeRawPointer(source)
        var i = 0
        while i + 16 <= count {
            let bits = input.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<UInt32>.self)
            destination.storeBytes(of: bfloat16Bits(bits), toByteOffset: i * 2, as: SIMD16<UInt16>.self)
            i += 16
        }
        while i < count {
            let bits = SIMD16<UInt32>(repeating: source[i].bitPattern)
            destination.storeBytes(of: bfloat16Bits(bits)[0], toByteOffset: i * 2, as: UInt16.self)
            i += 1
        }
    }

    @inline(__always)
    static func bfloat16Bits(_ bits: SIMD16<UInt32>) -> SIMD16<UInt16> {
        let rounded = (bits &+ 0x7FFF &+ ((bits &>> 16) & 1)) &>> 16
        let isNaN = (bits & 0x7FFF_FFFF) .> 0x7F80_0000
        return SIMD16<UInt16>(truncatingIfNeeded: rounded.replacing(with: 0x7FC0, where: isNaN))
    }
}
