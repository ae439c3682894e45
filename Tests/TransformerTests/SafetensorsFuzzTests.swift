import Foundation
import Mechanics
import TestSupport
import XCTest
@testable import Transformer

/// Seeded corruptions of valid files. Every case must either throw a `CheckpointError` naming
/// the file, or open as a valid file whose tensors all lie inside it and convert (or refuse to
/// convert, for non-float dtypes) without reading out of bounds. Never a crash.
final class SafetensorsFuzzTests: XCTestCase {
    private struct Outcome {
        var failures = 0
        var successes = 0
    }

    func testCorruptedFilesThrowOrStayConsistent() throws {
        let folder = try TemporaryFolder()
        let dump = ProcessInfo.processInfo.environment["C2S_SAFETENSORS_FUZZ_DUMP"]
        var verdicts: [String: String] = [:]
        var rng = SplitMix64(seed: 20241121)
        var outcome = Outcome()
        var caseNumber = 0
        for base in ["floats.safetensors", "writer_reference.safetensors", "gpt2-sharded/model-00004-of-00004.safetensors"] {
            let original = try SafetensorsFixtures.bytes(base)
            for mutation in Mutation.allCases {
                for _ in 0..<mutation.repeats {
                    let corrupted = mutation.apply(to: original, using: &rng)
                    // One path, overwritten: file creation and removal are the slow part here.
                    let path = folder.file("case.safetensors")
                    try write(corrupted, to: path)
                    let verdict = check(path: path, mutation: mutation, outcome: &outcome)
                    if let dump {
                        try FileManager.default.createDirectory(atPath: dump, withIntermediateDirectories: true)
                        try write(corrupted, to: dump + "/case-\(caseNumber).safetensors")
                        verdicts["case-\(caseNumber).safetensors"] = verdict
                    }
                    caseNumber += 1
                }
            }
        }
        if let dump {
            try JSONSerialization.data(withJSONObject: verdicts, options: [.sortedKeys]).write(to: URL(fileURLWithPath: dump + "/verdicts.json"))
        }
        print("fuzz: \(caseNumber) corrupted files, \(outcome.failures) refused, \(outcome.successes) still valid")
        XCTAssertGreaterThan(caseNumber, 500)
        // Most corruptions must be caught; a few (data-region flips, equal-size dtype swaps) stay valid.
        XCTAssertGreaterThan(outcome.failures, caseNumber * 3 / 4)
        XCTAssertGreaterThan(outcome.successes, 0)
    }

    /// Opens `path`; returns "ok" or "error" after checking the invariants of either outcome.
    private func check(path: String, mutation: Mutation, outcome: inout Outcome) -> String {
        let file: SafetensorsFile
        do {
            file = try SafetensorsFile(path: path)
        } catch let error as CheckpointError {
            XCTAssertTrue(error.description.hasPrefix(path), "\(mutation): \(error)")
            outcome.failures += 1
            return "error"
        } catch {
            XCTFail("\(mutation): not a CheckpointError: \(error)")
            return "error"
        }
        outcome.successes += 1
        var end = 0
        for info in file.tensors {
            XCTAssertEqual(info.dataOffsets.lowerBound, end, "\(mutation) \(info.name)")
            end = info.dataOffsets.upperBound
            XCTAssertLessThanOrEqual(file.dataRegionStart + info.dataOffsets.upperBound, file.fileSize)
            XCTAssertEqual(info.byteCount * 8, info.elementCount * info.dtype.bitSize)
            do {
                let values = try file.floats(info.name)
                XCTAssertTrue(info.dtype.isLoadableAsFloat)
                XCTAssertEqual(values.count, info.elementCount)
            } catch let error as CheckpointError {
                XCTAssertEqual(error, .notFloat(path: path, tensor: info.name, dtype: info.dtype.rawValue), "\(mutation)")
            } catch {
                XCTFail("\(mutation): \(error)")
            }
        }
        XCTAssertEqual(file.dataRegionStart + end, file.fileSize, "\(mutation)")
        return "ok"
    }

    func testDeeplyNestedIgnoredFieldIsRefusedNotRecursed() throws {
        let folder = try TemporaryFolder()
        let nested = String(repeating: "[", count: 200_000) + String(repeating: "]", count: 200_000)
        let header = "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4],\"x\":\(nested)}}"
        try write(rawSafetensors(header: header, data: [0, 0, 0, 0]), to: folder.file("deep.safetensors"))
        let error = checkpointError { _ = try SafetensorsFile(path: folder.file("deep.safetensors")) }
        XCTAssertTrue(error?.description.contains("nested more than 64 levels deep") ?? false, "\(String(describing: error))")
        // Moderate nesting in an unknown field is fine, as for the Rust reader.
        let shallow = "{\"a\":{\"dtype\":\"F32\",\"x\":{\"y\":[1,2.5e3,-0.1,true,null,\"s\"]},\"shape\":[1],\"data_offsets\":[0,4]}}"
        try write(rawSafetensors(header: shallow, data: [0, 0, 128, 63]), to: folder.file("ok.safetensors"))
        XCTAssertEqual(try SafetensorsFile(path: folder.file("ok.safetensors")).floats("a"), [1])
    }

    /// Specific malformed headers, each with the message a user sees.
    func testSpecificMalformedHeaders() throws {
        let folder = try TemporaryFolder()
        let path = folder.file("m.safetensors")
        let four: [UInt8] = [0, 0, 128, 63]
        let cases: [(String, [UInt8], String)] = [
            ("[]", [], "the header is not a JSON object"),
            ("", [], "the header is empty"),
            ("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}\u{0}", four, "unexpected byte 0x0 after the end of the JSON object"),
            ("{\"a\":{\"dtype\":\"F33\",\"shape\":[1],\"data_offsets\":[0,4]}}", four, "tensor \"a\": unknown dtype \"F33\""),
            ("{\"a\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", four, "tensor \"a\": shape must hold non-negative integers"),
            ("{\"a\":{\"dtype\":\"F32\",\"shape\":[1.0],\"data_offsets\":[0,4]}}", four, "tensor \"a\": shape must hold integers, not fractional"),
            ("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4,4]}}", four, "data_offsets must have exactly 2 entries"),
            ("{\"a\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}", four, "tensor \"a\": missing field shape"),
            ("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,4]}}", four, "span 4 bytes, but shape [2] of F32 needs 8"),
            ("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", four + four, "begins at data offset 4, leaving 4 bytes at the start of the data that belong to no tensor"),
            ("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", four + four, "tensor \"b\": data_offsets [4, 8] overlap tensor \"a\", which ends at 8"),
            ("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", four + four, "4 bytes at the end of the data belong to no tensor"),
            ("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", four, "run past the 4 bytes of data in the file: the file is truncated"),
            ("{\"a\":{\"dtype\":\"F32\",\"shape\":[4611686018427387904,4],\"data_offsets\":[0,4]}}", four, "has more elements than can be addressed"),
            ("{\"a\":{\"dtype\":\"F32\",\"shape\":[99999999999999999999],\"data_offsets\":[0,4]}}", four, "number too large to be a size"),
            ("{\"a\":{\"dtype\":\"F4\",\"shape\":[3],\"data_offsets\":[0,2]}}", [0, 0], "3 elements of F4 do not fill a whole number of bytes"),
            ("{\"__metadata__\":{\"a\":1},\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", four, "__metadata__ value of \"a\" must be a string"),
            ("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},\"a\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[4,4]}}", four, "the name \"a\" appears twice"),
        ]
        for (header, data, message) in cases {
            try write(rawSafetensors(header: header, data: data), to: path)
            let error = checkpointError { _ = try SafetensorsFile(path: path) }
            XCTAssertTrue(error?.description.contains(message) ?? false, "\(header): \(String(describing: error))")
            XCTAssertTrue(error?.description.hasPrefix(path) ?? false)
        }
        try write([1, 2, 3], to: path)
        XCTAssertEqual(checkpointError { _ = try SafetensorsFile(path: path) }?.description, "\(path): not a valid safetensors file: the file has 3 bytes, fewer than the 8 of the header length")
        try write([0, 0, 0, 0, 0, 0, 0, 1], to: path)
        XCTAssertTrue(checkpointError { _ = try SafetensorsFile(path: path) }?.description.contains("exceeds the 100 MB limit") ?? false)
        try write(rawSafetensors(header: "{\"\u{e9}\":{}}", data: []).map { $0 == 0xA9 ? 0xFF : $0 }, to: path)
        XCTAssertTrue(checkpointError { _ = try SafetensorsFile(path: path) }?.description.contains("the header is not valid UTF-8") ?? false)
        // Accepted like the Rust reader: leading whitespace, null metadata, zero-size tensors sharing an offset, escapes.
        let fine = "  {\"__metadata__\":null,\"e\\u00e9\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]},\"z\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]},\"a\":{\"shape\":[],\"data_offsets\":[0,4],\"dtype\":\"F32\"}} \n"
        try write(rawSafetensors(header: fine, data: four), to: path)
        let file = try SafetensorsFile(path: path)
        XCTAssertEqual(Set(file.tensorNames), ["e\u{e9}", "z", "a"])
        XCTAssertEqual(try file.floats("a"), [1])
    }
}

/// The kinds of corruption, each applied `repeats` times per base file.
private enum Mutation: CaseIterable {
    case flipHeaderByte, flipLengthBit, setHeaderLength, truncate, extend, editNumber, renameField, changeDtype
    case insertInvalidUTF8, replaceHeaderWithGarbage, swapOffsets, shiftOffsets, flipAnyByte

    var repeats: Int {
        switch self {
        case .flipHeaderByte, .editNumber, .flipAnyByte: return 40
        default: return 16
        }
    }

    func apply(to original: [UInt8], using rng: inout SplitMix64) -> [UInt8] {
        let headerLength = original[0..<8].reversed().reduce(0) { $0 << 8 | Int($1) }
        let header = Array(original[8..<(8 + headerLength)])
        let data = Array(original[(8 + headerLength)...])
        func assemble(_ header: [UInt8], _ data: [UInt8]) -> [UInt8] {
            var length = UInt64(header.count).littleEndian
            return withUnsafeBytes(of: &length) { Array($0) } + header + data
        }
        var bytes = original
        switch self {
        case .flipHeaderByte:
            bytes[8 + Int.random(in: 0..<headerLength, using: &rng)] ^= UInt8.random(in: 1...255, using: &rng)
        case .flipLengthBit:
            bytes[Int.random(in: 0..<8, using: &rng)] ^= 1 << UInt8.random(in: 0..<8, using: &rng)
        case .setHeaderLength:
            let choices: [UInt64] = [0, 1, UInt64(headerLength - 1), UInt64(headerLength + 1), UInt64(headerLength + 8), UInt64(headerLength - 8),
                                     UInt64(original.count - 8), UInt64(original.count), 100_000_001, UInt64.max, UInt64(UInt32.random(in: 0...UInt32.max, using: &rng))]
            var value = choices.randomElement(using: &rng)!.littleEndian
            withUnsafeBytes(of: &value) { for i in 0..<8 { bytes[i] = $0[i] } }
        case .truncate:
            bytes = Array(original.prefix(Int.random(in: 0..<original.count, using: &rng)))
        case .extend:
            bytes += (0..<Int.random(in: 1...16, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
        case .editNumber:
            var runs: [Range<Int>] = []
            var i = 0
            while i < header.count {
                if header[i] >= 48 && header[i] <= 57 {
                    let start = i
                    while i < header.count && header[i] >= 48 && header[i] <= 57 { i += 1 }
                    runs.append(start..<i)
                } else { i += 1 }
            }
            let run = runs.randomElement(using: &rng)!
            let replacements = ["0", "1", "-1", "1.5", "1e3", "99999999999999999999999", "9223372036854775807", "4611686018427387904",
                                String(Int.random(in: 0...100_000, using: &rng)), "\(Int(String(decoding: header[run], as: UTF8.self))! + 4)", "01"]
            var edited = header
            edited.replaceSubrange(run, with: Array(replacements.randomElement(using: &rng)!.utf8))
            bytes = assemble(edited, data)
        case .renameField:
            let text = String(decoding: header, as: UTF8.self)
            let (from, to) = [("\"dtype\"", "\"dtyp\""), ("\"shape\"", "\"shap\""), ("\"data_offsets\"", "\"offsets\""), ("__metadata__", "__meta__"),
                              ("{", "["), (":", ","), ("\"", "'"), ("]", "")].randomElement(using: &rng)!
            bytes = assemble(Array(replacingFirst(from, with: to, in: text, using: &rng).utf8), data)
        case .changeDtype:
            let text = String(decoding: header, as: UTF8.self)
            let from = ["\"F32\"", "\"BF16\"", "\"F16\"", "\"I64\""].filter { text.contains($0) }.randomElement(using: &rng) ?? "\"F32\""
            let to = ["\"I32\"", "\"U32\"", "\"F16\"", "\"F64\"", "\"U8\"", "\"F4\"", "\"X\"", "\"f32\"", "\"C64\""].randomElement(using: &rng)!
            bytes = assemble(Array(replacingFirst(from, with: to, in: text, using: &rng).utf8), data)
        case .insertInvalidUTF8:
            var edited = header
            let invalid: [[UInt8]] = [[0xFF], [0xC3, 0x28], [0xE2, 0x82], [0xF0, 0x28, 0x8C, 0x28], [0xED, 0xA0, 0x80]]
            edited.insert(contentsOf: invalid.randomElement(using: &rng)!, at: Int.random(in: 0..<edited.count, using: &rng))
            bytes = assemble(edited, data)
        case .replaceHeaderWithGarbage:
            let pieces = ["{", "}", "[", "]", ":", ",", "\"a\"", "\"dtype\"", "\"F32\"", "\"shape\"", "\"data_offsets\"", "0", "4", "-1", "1e999", "null", "true", "\"\\u", "\"\\ud800\"", " ", "\\"]
            let garbage: String
            switch Int.random(in: 0..<4, using: &rng) {
            case 0: garbage = (0..<Int.random(in: 1...60, using: &rng)).map { _ in pieces.randomElement(using: &rng)! }.joined()
            case 1: garbage = "{" + (0..<Int.random(in: 1...60, using: &rng)).map { _ in pieces.randomElement(using: &rng)! }.joined()
            case 2: garbage = String(repeating: "{\"a\":", count: Int.random(in: 1...5000, using: &rng))
            default: garbage = "{\"a\":{\"dtype\":\"F32\",\"x\":" + String(repeating: "[", count: Int.random(in: 1...100_000, using: &rng))
            }
            bytes = assemble(Array(garbage.utf8), data)
        case .swapOffsets:
            // Exchange the data_offsets of two tensors: valid exactly when they have the same size.
            let text = String(decoding: header, as: UTF8.self)
            let pattern = try! NSRegularExpression(pattern: "\"data_offsets\":\\[[0-9]+,[0-9]+\\]")
            let matches = pattern.matches(in: text, range: NSRange(text.startIndex..., in: text))
            guard matches.count >= 2 else { return original }
            let a = Int.random(in: 0..<matches.count, using: &rng)
            var b = Int.random(in: 0..<matches.count, using: &rng)
            if a == b { b = (a + 1) % matches.count }
            let ns = text as NSString
            let first = ns.substring(with: matches[min(a, b)].range), second = ns.substring(with: matches[max(a, b)].range)
            let swapped = ns.replacingCharacters(in: matches[max(a, b)].range, with: first) as NSString
            bytes = assemble(Array((swapped.replacingCharacters(in: matches[min(a, b)].range, with: second)).utf8), data)
        case .shiftOffsets:
            // Move one tensor's bytes by k, keeping its size: a hole, an overlap, or past the end.
            let text = String(decoding: header, as: UTF8.self)
            let pattern = try! NSRegularExpression(pattern: "\"data_offsets\":\\[([0-9]+),([0-9]+)\\]")
            let matches = pattern.matches(in: text, range: NSRange(text.startIndex..., in: text))
            guard let match = matches.randomElement(using: &rng) else { return original }
            let ns = text as NSString
            let begin = Int(ns.substring(with: match.range(at: 1)))!, end = Int(ns.substring(with: match.range(at: 2)))!
            let k = [-8, -4, -2, -1, 1, 2, 4, 8, max(1, end - begin)].randomElement(using: &rng)!
            guard begin + k >= 0 else { return original }
            let moved = ns.replacingCharacters(in: match.range, with: "\"data_offsets\":[\(begin + k),\(end + k)]")
            bytes = assemble(Array(moved.utf8), data)
        case .flipAnyByte:
            bytes[Int.random(in: 0..<bytes.count, using: &rng)] ^= UInt8.random(in: 1...255, using: &rng)
        }
        return bytes
    }

    private func replacingFirst(_ target: String, with replacement: String, in text: String, using rng: inout SplitMix64) -> String {
        let ranges = text.ranges(of: target)
        guard let range = ranges.randomElement(using: &rng) else { return text }
        return text.replacingCharacters(in: range, with: replacement)
    }
}
