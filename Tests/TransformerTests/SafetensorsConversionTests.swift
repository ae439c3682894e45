import Foundation
import Mechanics
import TestSupport
import XCTest
@testable import Transformer

final class SafetensorsConversionTests: XCTestCase {
    /// All 65536 half patterns against Swift's own `Float16` → `Float` conversion (exact IEEE);
    /// NaNs must stay NaN with sign and payload kept.
    func testEveryHalfPatternConvertsExactly() {
        let halves = (0...UInt16.max).map { $0 }
        var out = [Float](repeating: 0, count: halves.count)
        halves.withUnsafeBytes { FloatConversion.halfToFloat($0.baseAddress!, &out, count: halves.count) }
        for (i, h) in halves.enumerated() {
            let reference = Float(Float16(bitPattern: h))
            if reference.isNaN {
                XCTAssertTrue(out[i].isNaN, "0x\(String(h, radix: 16))")
                XCTAssertEqual(out[i].bitPattern, UInt32(h & 0x8000) << 16 | 0x7F80_0000 | UInt32(h & 0x3FF) << 13)
            } else {
                XCTAssertEqual(out[i].bitPattern, reference.bitPattern, "0x\(String(h, radix: 16))")
            }
        }
    }

    func testEveryBFloat16PatternWidensBitForBit() {
        let halves = (0...UInt16.max).map { $0 }
        var out = [Float](repeating: 0, count: halves.count)
        halves.withUnsafeBytes { FloatConversion.bfloat16ToFloat($0.baseAddress!, &out, count: halves.count) }
        for (i, h) in halves.enumerated() { XCTAssertEqual(out[i].bitPattern, UInt32(h) << 16) }
    }

    /// F32 → BF16 rounds to nearest, ties to even, checked against a reference that picks the
    /// nearer of the two neighbours in double precision.
    func testFloatToBFloat16RoundsToNearestEven() {
        var rng = SplitMix64(seed: 11)
        var bits = (0..<20000).map { _ in UInt32.random(in: 0...UInt32.max, using: &rng) }
        bits += [0x3F80_8000, 0x3F81_8000, 0x3F80_8001, 0x7F7F_FFFF, 0x0001_2345, 0x8000_0000, 0x7F80_0000, 0xFF80_0000, 0x7FC0_0001, 0xFF80_0001]
        let floats = bits.map(Float.init(bitPattern:))
        var out = [UInt16](repeating: 0, count: floats.count)
        out.withUnsafeMutableBytes { FloatConversion.floatToBFloat16(floats, $0.baseAddress!, count: floats.count) }
        for (i, x) in floats.enumerated() {
            if x.isNaN { XCTAssertEqual(out[i], 0x7FC0); continue }
            let down = UInt16(bits[i] >> 16)
            let up = down &+ 1
            let lower = Double(Float(bitPattern: UInt32(down) << 16))
            // Above the largest finite value, IEEE rounding compares with 2^128 (what the next
            // exponent would be) and overflows to infinity from the midpoint on.
            let upper = up & 0x7FFF == 0x7F80 ? (x < 0 ? -0x1p128 : 0x1p128) : Double(Float(bitPattern: UInt32(up) << 16))
            let expected: UInt16
            if bits[i] & 0xFFFF == 0 { expected = down }
            else if abs(Double(x) - lower) < abs(upper - Double(x)) { expected = down }
            else if abs(Double(x) - lower) > abs(upper - Double(x)) { expected = up }
            else { expected = down & 1 == 0 ? down : up }
            XCTAssertEqual(out[i], expected, "0x\(String(bits[i], radix: 16))")
        }
        XCTAssertEqual(out[floats.count - 10], 0x3F80)  // tie, even: down
        XCTAssertEqual(out[floats.count - 9], 0x3F82)   // tie, odd: up
        XCTAssertEqual(out[floats.count - 7], 0x7F80)   // largest float rounds to inf
    }

    /// Large tensors are converted in parallel chunks; the result must equal the serial one, and
    /// the transposed copy must equal the transposed plain copy. Reports BF16 → F32 speed.
    func testLargeTensorsParallelConversionAndSpeed() throws {
        let folder = try TemporaryFolder()
        let rows = 1536, columns = 2731  // ~4.2 M elements: parallel, ragged tiles
        let count = rows * columns
        var rng = SplitMix64(seed: 5)
        var data = [UInt8](repeating: 0, count: count * 2 * 2)
        data.withUnsafeMutableBytes { raw in
            let words = raw.bindMemory(to: UInt64.self)
            for i in 0..<words.count { words[i] = rng.next() }
        }
        let header = "{\"h\":{\"dtype\":\"F16\",\"shape\":[\(rows),\(columns)],\"data_offsets\":[0,\(count * 2)]},"
            + "\"b\":{\"dtype\":\"BF16\",\"shape\":[\(rows),\(columns)],\"data_offsets\":[\(count * 2),\(count * 4)]}}"
        try write(rawSafetensors(header: header, data: data), to: folder.file("big.safetensors"))
        let file = try SafetensorsFile(path: folder.file("big.safetensors"))
        for (name, offset) in [("h", 0), ("b", count * 2)] {
            let dtype = try file.info(name).dtype
            var parallel = [Float](repeating: 0, count: count)
            try file.copyFloats(name, into: &parallel, count: count)
            var serial = [Float](repeating: 0, count: count)
            data.withUnsafeBytes { FloatConversion.toFloatSerial($0.baseAddress! + offset, dtype: dtype, into: &serial, count: count) }
            XCTAssertTrue(parallel.map(\.bitPattern) == serial.map(\.bitPattern), name)
            var transposed = [Float](repeating: 0, count: count)
            try file.copyFloatsTransposed(name, into: &transposed, count: count)
            var mismatches = 0
            for r in 0..<rows { for c in 0..<columns where transposed[c * rows + r].bitPattern != serial[r * columns + c].bitPattern { mismatches += 1 } }
            XCTAssertEqual(mismatches, 0, name)
        }
        // Speed of BF16 → F32 from the mapping (after one warm-up pass has paged it in).
        var destination = [Float](repeating: 0, count: count)
        try file.copyFloats("b", into: &destination, count: count)
        let repeats = 20
        let start = DispatchTime.now().uptimeNanoseconds
        for _ in 0..<repeats { try file.copyFloats("b", into: &destination, count: count) }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        let megabytes = Double(count * 2 * repeats) / 1e6
        print("BF16 -> F32: \(Int(megabytes / seconds)) MB/s of BF16 read (\(Int(megabytes * 2 / seconds)) MB/s written), \(count) elements")
        let halfStart = DispatchTime.now().uptimeNanoseconds
        for _ in 0..<repeats { try file.copyFloats("h", into: &destination, count: count) }
        let halfSeconds = Double(DispatchTime.now().uptimeNanoseconds - halfStart) / 1e9
        print("F16 -> F32: \(Int(megabytes / halfSeconds)) MB/s of F16 read")
        let transposeStart = DispatchTime.now().uptimeNanoseconds
        for _ in 0..<5 { try file.copyFloatsTransposed("b", into: &destination, count: count) }
        let transposeSeconds = Double(DispatchTime.now().uptimeNanoseconds - transposeStart) / 1e9
        print("BF16 -> F32 transposed: \(Int(Double(count * 2 * 5) / 1e6 / transposeSeconds)) MB/s of BF16 read")
    }
}
