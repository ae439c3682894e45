import Foundation
import Mechanics
import SingleCell

/// The cells of a sentence dataset, loaded for prompt building: the reader of `cells.jsonl`,
/// beside its writer (`CellSentenceConverter.writeLines`: one object per line with
/// `cell_name`, `cell_sentence` and the obs columns). Only the first `maxGenes` genes of each
/// sentence are kept (prompts use the top k genes), so even millions of cells fit in memory.
public struct CellTable: Sendable {
    public let cells: [CellRecord]
    /// Field names present in the dataset (obs columns), sorted.
    public let fieldNames: [String]
    /// Every field's value for each cell (nil where a cell has none), so that a field of all
    /// cells is read without a lookup per cell.
    private let columns: [String: [String?]]

    public init(cells: [CellRecord]) {
        var columns: [String: [String?]] = [:]
        for (i, cell) in cells.enumerated() {
            for (key, value) in cell.fields { columns[key, default: [String?](repeating: nil, count: cells.count)][i] = value }
        }
        self.init(cells: cells, columns: columns)
    }

    init(cells: [CellRecord], columns: [String: [String?]]) {
        self.cells = cells
        self.columns = columns
        fieldNames = columns.keys.sorted()
    }

    /// Every cell's value in `field`, in the order of `cells` (nil where a cell has none).
    public func values(of field: String) -> [String?] {
        columns[field] ?? [String?](repeating: nil, count: cells.count)
    }

    /// Reads `cells.jsonl` of a sentence dataset folder (or any JSONL file with `cell_name` and
    /// `cell_sentence`, gzipped or not): blocks of about `blockSize` bytes of whole lines, each
    /// parsed in parallel where it lies while the next block is read.
    public static func load(_ path: String, maxGenes: Int, threads: Int = Parallel.defaultThreads,
                            blockSize: Int = 8 << 20) throws -> CellTable {
        var isDir: ObjCBool = false
        let file = FileManager.default.fileExists(atPath: path, isDirectory: &isDir) && isDir.boolValue ? path + "/cells.jsonl" : path
        guard FileManager.default.fileExists(atPath: file) else {
            throw FileError(file, "no such file; expected a sentence dataset made by 'c2s convert'")
        }
        let reader = try LineBlockReader(path: file, blockSize: blockSize)
        var cells: [CellRecord] = []
        // Field names, each kept as one String that every cell's fields share, and their columns.
        var keys: [String] = []
        var columns: [[String?]] = []
        var started = false
        try reader.forEachBlock { block in
            let bytes = block.bytes
            var start = 0, line = block.firstLine
            if !started {
                // Blank lines before the first line with text are skipped; that line decides
                // whether the file is JSON lines.
                while start < bytes.count {
                    let end = lineEnd(bytes, from: start)
                    if let first = bytes[start..<end].first(where: { $0 != 32 && $0 != 9 && $0 != 13 }) {
                        guard first == 123 else { throw FileError(file, "not JSON lines; expected cells.jsonl from 'c2s convert'") }
                        started = true
                        break
                    }
                    start = end + 1
                    line += 1
                }
                guard started else { return }
            }
            let parts = lineParts(bytes, from: start, parts: max(1, threads) * 4)
            var results = [Part](repeating: Part(), count: parts.count)
            let shared = UncheckedSendable((bytes, keys))
            results.withUnsafeMutableBufferPointer { rb in
                let out = SendablePointer(rb.baseAddress!)
                Parallel.forEach(parts) { p, range in
                    let (bytes, keys) = shared.value
                    out[p] = parse(bytes, range: range, keys: keys, maxGenes: maxGenes)
                }
            }
            cells.reserveCapacity(cells.count + results.reduce(0) { $0 + $1.cells.count })
            // Parts are in order: the first failure found is the first in the file.
            for part in results {
                if let (k, problem) = part.failure { throw FileError(file, "line \(line + k) \(problem)") }
                for key in part.keys where !keys.contains(key) {
                    keys.append(key)
                    columns.append([String?](repeating: nil, count: cells.count))
                }
                for (j, key) in keys.enumerated() {
                    if let c = part.keys.firstIndex(of: key) {
                        columns[j] += part.columns[c]
                    } else {
                        columns[j] += [String?](repeating: nil, count: part.cells.count)
                    }
                }
                cells += part.cells
                line += part.lines
            }
        }
        guard !cells.isEmpty else { throw FileError(file, "no cells in this file") }
        return CellTable(cells: cells, columns: Dictionary(uniqueKeysWithValues: zip(keys, columns)))
    }

    /// What one part of a block gave: its cells, its number of lines, the first problem (line
    /// index within the part, message), and the field names its cells have with their values.
    struct Part {
        var cells: [CellRecord] = []
        var lines = 0
        var failure: (Int, String)?
        var keys: [String] = []
        /// `columns[j][i]`: the value of field `keys[j]` of cell `i` of the part.
        var columns: [[String?]] = []
    }

    /// The index of the line break ending the line that starts at `start`, or the end of `bytes`.
    static func lineEnd(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int) -> Int {
        guard start < bytes.count, let p = memchr(bytes.baseAddress! + start, 0x0a, bytes.count - start) else { return bytes.count }
        return UnsafePointer(p.assumingMemoryBound(to: UInt8.self)) - bytes.baseAddress!
    }

    /// `start..<bytes.count` cut into about `parts` ranges of whole lines.
    static func lineParts(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int, parts: Int) -> [Range<Int>] {
        var ranges: [Range<Int>] = []
        var at = start
        for p in 1...parts where at < bytes.count {
            let target = p == parts ? bytes.count : start + (bytes.count - start) * p / parts
            guard target > at else { continue }
            let end = target >= bytes.count ? bytes.count : min(bytes.count, lineEnd(bytes, from: target - 1) + 1)
            ranges.append(at..<end)
            at = end
        }
        return ranges
    }

    /// Parses the lines of `bytes[range]`; stops at the first problem. `keys` are field names
    /// already seen, reused so that cells share them.
    static func parse(_ bytes: UnsafeBufferPointer<UInt8>, range: Range<Int>, keys: [String], maxGenes: Int) -> Part {
        var part = Part()
        var scratch: [UInt8] = []
        var values: [(Int, String)] = []
        let field = Array("cell_sentence".utf8)
        var at = range.lowerBound
        var k = 0
        /// The field's index in `part.keys`; the name is the one already known when there is one.
        func intern(_ key: String) -> Int {
            if let j = part.keys.firstIndex(of: key) { return j }
            part.keys.append(keys.first(where: { $0 == key }) ?? key)
            part.columns.append([String?](repeating: nil, count: part.cells.count))
            return part.keys.count - 1
        }
        while at < range.upperBound {
            var end = lineEnd(UnsafeBufferPointer(rebasing: bytes[..<range.upperBound]), from: at)
            let next = end + 1
            defer { at = next; k += 1; part.lines = k }
            if end > at && bytes[end - 1] == 13 { end -= 1 }
            let line = UnsafeBufferPointer(rebasing: bytes[at..<end])
            if line.allSatisfy({ $0 == 32 || $0 == 9 || $0 == 13 }) {
                part.failure = (k, "is empty; every line of a JSONL file must be a JSON object")
                return part
            }
            do {
                let r = try JSONLineParser.parse(line, sentenceField: field, sentence: &scratch, allowInPlace: true)
                guard r.found else {
                    part.failure = (k, "has no 'cell_sentence' field")
                    return part
                }
                let (sentence, geneCount, plain) = r.inPlace.map { topWords(UnsafeBufferPointer(rebasing: line[$0]), maxGenes) }
                    ?? scratch.withUnsafeBufferPointer { topWords($0, maxGenes) }
                var name: String?
                var fields: [String: String] = [:]
                for (key, value) in r.fields {
                    let text = value.fieldText
                    if key == "cell_name" {
                        name = text
                    } else if let text {
                        let j = intern(key)
                        fields[part.keys[j]] = text
                        values.append((j, text))
                    }
                }
                guard let name else {
                    part.failure = (k, "has no 'cell_name' field")
                    return part
                }
                for j in part.columns.indices { part.columns[j].append(nil) }
                for (j, text) in values { part.columns[j][part.cells.count] = text }
                values.removeAll(keepingCapacity: true)
                part.cells.append(CellRecord(name: name, sentence: sentence, fields: fields, geneCount: geneCount, sentenceIsPlain: plain))
            } catch {
                part.failure = (k, "is not valid JSON (\(error))")
                return part
            }
        }
        return part
    }

    /// The first `k` space-separated words of `bytes` as a String, how many words that is, and
    /// whether the kept text is plain (`CellRecord.sentenceIsPlain`).
    static func topWords(_ bytes: UnsafeBufferPointer<UInt8>, _ k: Int) -> (String, Int, Bool) {
        guard let base = bytes.baseAddress else { return ("", 0, true) }
        let (end, words) = Self.wordsEnd(base, bytes.count, k)
        return (String(decoding: UnsafeBufferPointer(rebasing: bytes[0..<end]), as: UTF8.self), words, Self.isPlain(base, end))
    }

    /// Where the `k`-th word ends (trailing spaces dropped) and how many words come before it
    /// (at most `k`). Eight bytes at a time: a word starts at a byte that is not a space after
    /// one that is (or at the start).
    static func wordsEnd(_ p: UnsafePointer<UInt8>, _ n: Int, _ k: Int) -> (end: Int, words: Int) {
        func trimmed(_ end: Int) -> Int {
            var e = end
            while e > 0 && p[e - 1] == 32 { e -= 1 }
            return e
        }
        let low7: UInt64 = 0x7F7F_7F7F_7F7F_7F7F, high: UInt64 = 0x8080_8080_8080_8080, spaces: UInt64 = 0x2020_2020_2020_2020
        var words = 0
        var previousIsSpace: UInt64 = 1  // the byte before the current eight, as 1 or 0
        var i = 0
        while i + 8 <= n {
            let x = UnsafeRawPointer(p + i).loadUnaligned(as: UInt64.self) ^ spaces
            let space = ~(((x & low7) &+ low7) | x | low7)  // 0x80 in each byte that is a space
            let starts = ~space & high & ((space << 8) | (previousIsSpace << 7))
            let c = starts.nonzeroBitCount
            if words + c > k {
                // Word k + 1 starts in these eight bytes: the text ends before it.
                var s = starts
                for _ in 0..<(k - words) { s &= s &- 1 }
                return (trimmed(i + s.trailingZeroBitCount / 8), k)
            }
            words += c
            previousIsSpace = space >> 63
            i += 8
        }
        var afterSpace = previousIsSpace == 1
        while i < n {
            if p[i] == 32 {
                afterSpace = true
            } else {
                if afterSpace {
                    if words == k { return (trimmed(i), k) }
                    words += 1
                }
                afterSpace = false
            }
            i += 1
        }
        return (trimmed(n), words)
    }

    /// Whether `p[0..<n]` is plain (`CellRecord.isPlain` for every byte), eight bytes at a time.
    static func isPlain(_ p: UnsafePointer<UInt8>, _ n: Int) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101, high: UInt64 = 0x8080_8080_8080_8080
        @inline(__always) func hasZero(_ v: UInt64) -> Bool { (v &- ones) & ~v & high != 0 }
        var i = 0
        while i + 8 <= n {
            let v = UnsafeRawPointer(p + i).loadUnaligned(as: UInt64.self)
            // Any byte >= 128, < 32, a quote or a backslash (the tests are exact for bytes < 128).
            if v & high != 0 || (v &- ones &* 0x20) & ~v & high != 0 || hasZero(v ^ (ones &* 0x22)) || hasZero(v ^ (ones &* 0x5C)) {
                return false
            }
            i += 8
        }
        while i < n {
            if !CellRecord.isPlain(p[i]) { return false }
            i += 1
        }
        return true
    }
}

