import CellSentences
import Foundation
import SingleCell

/// The cells of a sentence dataset, loaded for prompt building. Only the first `maxGenes`
/// genes of each sentence are kept (prompts use the top k genes), so even millions of cells
/// fit in memory.
public struct CellTable: Sendable {
    public var cells: [CellRecord]
    /// Field names present in the dataset (obs columns), sorted.
    public var fieldNames: [String]

    public init(cells: [CellRecord]) {
        self.cells = cells
        fieldNames = Array(Set(cells.flatMap { $0.fields.keys })).sorted()
    }

    /// Reads `cells.jsonl` of a sentence dataset folder (or any JSONL file with `cell_name` and
    /// `cell_sentence`), in parallel batches.
    public static func load(_ path: String, maxGenes: Int, threads: Int = Parallel.defaultThreads) throws -> CellTable {
        var isDir: ObjCBool = false
        let file = FileManager.default.fileExists(atPath: path, isDirectory: &isDir) && isDir.boolValue ? path + "/cells.jsonl" : path
        guard FileManager.default.fileExists(atPath: file) else {
            throw FileError(file, "no such file; expected a sentence dataset made by 'c2s convert'")
        }
        let lines = LineBatchReader(reader: try GzipLineReader(path: file), path: file, batchSize: 8192)
        var cells: [CellRecord] = []
        // The next batch is read on a background thread while this one is parsed.
        let prefetch = BatchPrefetch(lines)
        while let batch = try prefetch.next() {
            guard batch.isJSON else { throw FileError(file, "not JSON lines; expected cells.jsonl from 'c2s convert'") }
            let parts = Parallel.ranges(batch.count, parts: threads)
            var results = [Result<[CellRecord], FileError>](repeating: .success([]), count: parts.count)
            let shared = UncheckedSendable(batch)
            results.withUnsafeMutableBufferPointer { rb in
                let out = SendablePointer(rb.baseAddress!)
                DispatchQueue.concurrentPerform(iterations: parts.count) { p in
                    out[p] = parse(shared.value, range: parts[p], file: file, maxGenes: maxGenes)
                }
            }
            for r in results { cells += try r.get() }
        }
        guard !cells.isEmpty else { throw FileError(file, "no cells in this file") }
        return CellTable(cells: cells)
    }

    static func parse(_ batch: LineBatch, range: Range<Int>, file: String, maxGenes: Int) -> Result<[CellRecord], FileError> {
        var out: [CellRecord] = []
        out.reserveCapacity(range.count)
        var scratch: [UInt8] = []
        let field = Array("cell_sentence".utf8)
        for k in range {
            let lineNumber = batch.lineNumbers[k]
            do {
                let record = try batch.withLine(k) { line -> CellRecord? in
                    let r = try JSONLineParser.parse(line, sentenceField: field, sentence: &scratch, allowInPlace: true)
                    guard r.found else { return nil }
                    let (sentence, geneCount, plain) = r.inPlace.map { topWords(UnsafeBufferPointer(rebasing: line[$0]), maxGenes) }
                        ?? scratch.withUnsafeBufferPointer { topWords($0, maxGenes) }
                    var name: String?
                    var fields: [String: String] = [:]
                    for (key, value) in r.fields {
                        let text: String?
                        switch value {
                        case .string(let s): text = s
                        case .number(let v): text = v == v.rounded() && abs(v) < 1e15 ? String(Int64(v)) : String(v)
                        case .bool(let b): text = b ? "true" : "false"
                        case .null: text = nil
                        case .other(let raw): text = raw
                        }
                        if key == "cell_name" { name = text } else if let text { fields[key] = text }
                    }
                    guard let name else { throw MissingCellName() }
                    return CellRecord(name: name, sentence: sentence, fields: fields, geneCount: geneCount, sentenceIsPlain: plain)
                }
                guard let record else { return .failure(FileError(file, "line \(lineNumber) has no 'cell_sentence' field")) }
                out.append(record)
            } catch is MissingCellName {
                return .failure(FileError(file, "line \(lineNumber) has no 'cell_name' field"))
            } catch {
                return .failure(FileError(file, "line \(lineNumber) is not valid JSON (\(error))"))
            }
        }
        return .success(out)
    }

    struct MissingCellName: Error {}

    /// The first `k` space-separated words of `bytes` as a String, how many words that is, and
    /// whether the kept text is plain (`CellRecord.sentenceIsPlain`), found in the same scan.
    static func topWords(_ bytes: UnsafeBufferPointer<UInt8>, _ k: Int) -> (String, Int, Bool) {
        var words = 0
        var end = bytes.count
        var inWord = false
        var plain = true
        for i in 0..<bytes.count {
            let b = bytes[i]
            if b == 32 {
                if inWord && words == k { end = i; break }
                inWord = false
            } else {
                if !inWord {
                    if words == k { end = i; break }
                    inWord = true
                    words += 1
                }
                plain = plain && CellRecord.isPlain(b)
            }
        }
        // Trim a trailing space left when the cut falls after one.
        while end > 0 && bytes[end - 1] == 32 { end -= 1 }
        return (String(decoding: UnsafeBufferPointer(rebasing: bytes[0..<end]), as: UTF8.self), words, plain)
    }
}

/// Reads the next batch of lines on a background thread while the caller works on the current one.
final class BatchPrefetch: @unchecked Sendable {
    private let reader: LineBatchReader
    private let queue = DispatchQueue(label: "c2s.cell-table-reader")
    private let group = DispatchGroup()
    private var pending: Result<LineBatch?, Error>?

    init(_ reader: LineBatchReader) {
        self.reader = reader
        schedule()
    }

    private func schedule() {
        group.enter()
        queue.async {
            self.pending = Result { try self.reader.next() }
            self.group.leave()
        }
    }

    func next() throws -> LineBatch? {
        group.wait()
        let result = pending!
        let batch = try result.get()
        if batch != nil { schedule() }
        return batch
    }

    deinit { group.wait() }
}
