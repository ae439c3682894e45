import Foundation
import Mechanics
import SingleCell

/// Settings of `reconstruct`.
public struct ReconstructionOptions: Sendable {
    /// JSON field holding the sentence in JSONL input.
    public var sentenceField = "cell_sentence"
    /// Clip reconstructed values below zero to zero.
    public var clip = true
    public var threads = Parallel.defaultThreads
    /// Sentences processed at a time.
    public var batchSize = 4096
    public var overwrite = false
    /// gzip level of the output matrix (0: uncompressed, like anndata's default).
    public var compressionLevel = 0
    /// Only the first this many words of each sentence count (e.g. real cells cut to the
    /// length of generated ones, so both live in the same space).
    public var maxWords = Int.max
    /// Reconstruct only the lines for which this is true, given the line's other fields (e.g. a
    /// split's cells, or one condition's); nil keeps every line. Needs JSON lines.
    public var keep: (@Sendable (_ fields: [(String, JSONScalar)]) -> Bool)?
    public init() {}
}

/// Totals over all sentences of a reconstruction.
public struct ReconstructionSummary: Sendable, Equatable {
    public var sentences = 0
    public var emptySentences = 0
    public var words = 0
    public var validWords = 0
    public var uniqueGenes = 0
    /// Valid gene words over all words.
    public var validity: Double { words > 0 ? Double(validWords) / Double(words) : 0 }
    /// Distinct valid genes over all words.
    public var uniqueness: Double { words > 0 ? Double(uniqueGenes) / Double(words) : 0 }
}

/// Turns sentences back into expression: post-processing (`SentencePostProcessor`) and the
/// fitted `LinearRankModel`, streamed from a JSONL or plain-text file into an `.h5ad` whose
/// genes are the vocabulary, in its order.
public enum SentenceReconstruction {
    /// What one worker makes of its share of a batch of lines.
    struct Piece {
        var indptr: [Int] = [0]
        var indices: [Int32] = []
        var values: [Float] = []
        var fields: [[(String, JSONScalar)]] = []
        var counts: [SentencePostProcessor.Counts] = []
        var failure: (line: Int, message: String)?
    }

    public static func run(
        input: String, vocabulary: [String], vocabularyCounts: [Int]? = nil, model: LinearRankModel,
        output: String, options: ReconstructionOptions, progress: ((Int) -> Void)? = nil
    ) throws -> ReconstructionSummary {
        if FileManager.default.fileExists(atPath: output) && !options.overwrite {
            throw FileError(output, "already exists; pass --overwrite to replace it")
        }
        let reader = try GzipLineReader(path: input)
        let lookup = GeneLookup(vocabulary)
        var varColumns: [Column] = []
        if let counts = vocabularyCounts { varColumns.append(Column("n_cells", .integers(counts.map(Int64.init)))) }
        let writer = try H5ADStreamWriter(path: output, geneCount: vocabulary.count,
                                          vars: DataFrame(index: vocabulary, columns: varColumns), countsAsIntegers: false,
                                          // Uncompressed chunks can be large: fewer, bigger writes.
                                          chunk: options.compressionLevel == 0 ? 1 << 20 : H5ADStreamWriter.defaultChunk,
                                          compressionLevel: options.compressionLevel)
        var done = false
        defer { if !done { writer.cancel() } }
        // Matrix blocks are written on a serial queue while the next batch is parsed.
        let writerQueue = DispatchQueue(label: "c2s.reconstruct-writer")
        let pendingWrite = DispatchGroup()
        let writeFailure = FailureBox()
        let writerU = UncheckedSendable(writer)

        var summary = ReconstructionSummary()
        var obsFields: [[(String, JSONScalar)]] = []
        var report: [SentencePostProcessor.Counts] = []
        let field = Array(options.sentenceField.utf8)
        let threads = max(1, options.threads)
        let scratches = (0..<threads).map { _ in SentencePostProcessor.Scratch() }
        let table = SentencePostProcessor.ExpressionTable(model: model, clip: options.clip)

        func process(_ batch: LineBatch) throws {
            let n = batch.count
            let parts = Parallel.ranges(n, parts: threads)
            var pieces = [Piece](repeating: Piece(), count: parts.count)
            let shared = UncheckedSendable((batch, lookup, scratches, table))
            pieces.withUnsafeMutableBufferPointer { pb in
                let out = SendablePointer(pb.baseAddress!)
                Parallel.forEach(parts) { p, range in
                    let (batch, lookup, scratches, table) = shared.value
                    out[p] = reconstruct(lines: range, batch: batch, field: field, fieldName: options.sentenceField,
                                         lookup: lookup, scratch: scratches[p], table: table, maxWords: options.maxWords,
                                         keep: options.keep)
                }
            }
            if let failure = pieces.compactMap(\.failure).min(by: { $0.line < $1.line }) {
                throw FileError(input, "line \(batch.lineNumbers[failure.line]) \(failure.message)")
            }
            // Each worker's rows go to the writer as they are (no merged copy).
            var blocks: [CSRRows] = []
            for piece in pieces {
                blocks.append(CSRRows(firstRow: summary.sentences, indptr: piece.indptr, indices: piece.indices, values: piece.values))
                obsFields.append(contentsOf: piece.fields)
                for c in piece.counts {
                    report.append(c)
                    summary.sentences += 1
                    summary.words += c.words
                    summary.validWords += c.validWords
                    summary.uniqueGenes += c.uniqueGenes
                    if c.words == 0 { summary.emptySentences += 1 }
                }
            }
            pendingWrite.wait()
            if let error = writeFailure.error { throw error }
            pendingWrite.enter()
            let blocksU = UncheckedSendable(blocks)
            writerQueue.async {
                do { for b in blocksU.value { try writerU.value.append(b) } } catch { writeFailure.error = error }
                pendingWrite.leave()
            }
            progress?(summary.sentences)
        }

        // The next batch of lines is read on a background thread while this one is processed.
        let lines = LineBatchReader(reader: reader, path: input, batchSize: options.batchSize)
        let linesU = UncheckedSendable(lines)
        let readQueue = DispatchQueue(label: "c2s.reconstruct-reader")
        let prefetch = PrefetchSlot()
        func schedule() {
            prefetch.group.enter()
            readQueue.async {
                prefetch.result = Result { try linesU.value.next() }
                prefetch.group.leave()
            }
        }
        do {
            schedule()
            while true {
                prefetch.group.wait()
                guard let batch = try prefetch.result!.get() else { break }
                schedule()
                try process(batch)
            }
        } catch {
            prefetch.group.wait()
            pendingWrite.wait()
            throw error
        }
        pendingWrite.wait()
        if let error = writeFailure.error { throw error }
        guard summary.sentences > 0 else {
            throw FileError(input, options.keep == nil ? "no sentences in this file" : "no line of this file is selected")
        }
        try writer.finish(obs: obsFrame(obsFields, report: report))
        done = true
        return summary
    }

    /// Parses and reconstructs lines `range` of a batch.
    static func reconstruct(
        lines range: Range<Int>, batch: LineBatch, field: [UInt8], fieldName: String,
        lookup: GeneLookup, scratch: SentencePostProcessor.Scratch, table: SentencePostProcessor.ExpressionTable,
        maxWords: Int = .max, keep: (@Sendable ([(String, JSONScalar)]) -> Bool)? = nil
    ) -> Piece {
        var piece = Piece()
        piece.indices.reserveCapacity(range.count * 512)
        piece.values.reserveCapacity(range.count * 512)
        var sentence: [UInt8] = []
        let padding = [UInt8](repeating: 0, count: GeneLookup.padding)
        let offsets = batch.offsets
        batch.bytes.withUnsafeBufferPointer { all in
            for k in range {
                let line = UnsafeBufferPointer(rebasing: all[offsets[k]..<offsets[k + 1]])
                let counts: SentencePostProcessor.Counts
                if batch.isJSON {
                    var inPlace: Range<Int>?
                    do {
                        let r = try JSONLineParser.parse(line, sentenceField: field, sentence: &sentence, allowInPlace: true)
                        inPlace = r.inPlace
                        guard r.found else {
                            let names = r.fields.map(\.0).joined(separator: ", ")
                            piece.failure = (k, "has no field '\(fieldName)' (fields: \(names.isEmpty ? "none" : names)); choose one with --sentence-field")
                            return
                        }
                        if let keep, !keep(r.fields) { continue }
                        piece.fields.append(r.fields)
                    } catch {
                        piece.failure = (k, "is not valid JSON (\(error))")
                        return
                    }
                    if let range = inPlace {
                        // Lines sit in one buffer with padding after the last, so reading past
                        // the sentence is safe.
                        counts = SentencePostProcessor.accumulate(UnsafeBufferPointer(rebasing: line[range]), lookup: lookup, scratch: scratch, maxWords: maxWords)
                    } else {
                        let length = sentence.count
                        sentence.append(contentsOf: padding)
                        counts = sentence.withUnsafeBufferPointer {
                            SentencePostProcessor.accumulate(UnsafeBufferPointer(rebasing: $0[0..<length]), lookup: lookup, scratch: scratch, maxWords: maxWords)
                        }
                    }
                } else {
                    if keep != nil { piece.failure = (k, "is not a JSON line: cells can only be selected by their fields in JSONL"); return }
                    piece.fields.append([])
                    counts = SentencePostProcessor.accumulate(line, lookup: lookup, scratch: scratch, maxWords: maxWords)
                }
                SentencePostProcessor.drain(scratch, table: table, indices: &piece.indices, values: &piece.values)
                piece.indptr.append(piece.indices.count)
                piece.counts.append(counts)
            }
        }
        return piece
    }

    /// Builds `obs` from the scalar fields of each line plus the per-sentence report.
    static func obsFrame(_ rows: [[(String, JSONScalar)]], report: [SentencePostProcessor.Counts]) -> DataFrame {
        var keys: [String] = []
        var slot: [String: Int] = [:]
        var values: [[JSONScalar]] = []
        for (r, fields) in rows.enumerated() {
            for (k, v) in fields {
                if slot[k] == nil {
                    slot[k] = keys.count
                    keys.append(k)
                    values.append([JSONScalar](repeating: .null, count: rows.count))
                }
                values[slot[k]!][r] = v
            }
        }
        var index = rows.indices.map { "sentence_\($0 + 1)" }
        var columns: [Column] = []
        for (c, key) in keys.enumerated() {
            let column = values[c]
            if key == "cell_name", column.allSatisfy({ if case .string = $0 { return true } else { return false } }) {
                index = column.map { if case .string(let s) = $0 { return s } else { return "" } }
                continue
            }
            columns.append(Column(key, self.column(column)))
        }
        columns.append(Column("n_words", .integers(report.map { Int64($0.words) })))
        columns.append(Column("n_valid_words", .integers(report.map { Int64($0.validWords) })))
        columns.append(Column("n_unique_genes", .integers(report.map { Int64($0.uniqueGenes) })))
        return DataFrame(index: index, columns: columns)
    }

    static func column(_ values: [JSONScalar]) -> ColumnValues {
        let nonNull = values.filter { $0 != .null }
        if nonNull.allSatisfy({ if case .number = $0 { return true } else { return false } }) {
            let numbers = values.map { if case .number(let v) = $0 { return v } else { return Double.nan } }
            if nonNull.count == values.count, numbers.allSatisfy({ $0 == $0.rounded() && abs($0) < 9e15 }) {
                return .integers(numbers.map { Int64($0) })
            }
            return .reals(numbers)
        }
        if nonNull.count == values.count, nonNull.allSatisfy({ if case .bool = $0 { return true } else { return false } }) {
            return .bools(values.map { $0 == .bool(true) })
        }
        let texts: [String?] = values.map {
            switch $0 {
            case .string(let s): return s
            case .number(let v): return String(v)
            case .bool(let b): return b ? "true" : "false"
            case .other(let t): return t
            case .null: return nil
            }
        }
        let categories = Array(Set(texts.compactMap { $0 })).sorted()
        if categories.count <= max(1, values.count / 2) {
            let code = Dictionary(uniqueKeysWithValues: categories.enumerated().map { ($1, Int32($0)) })
            return .categorical(codes: texts.map { $0.map { code[$0]! } ?? -1 }, categories: categories)
        }
        return .strings(texts.map { $0 ?? "" })
    }
}

/// Consecutive lines of a sentence file, copied into one buffer (with `GeneLookup.padding`
/// readable bytes after the last line).
public struct LineBatch: Sendable {
    public var bytes: [UInt8] = []
    public var offsets: [Int] = [0]
    /// 1-based line number of each line in the file.
    public var lineNumbers: [Int] = []
    public var isJSON = false
    public var count: Int { offsets.count - 1 }

    /// Calls `body` with line `k`.
    @inlinable
    public func withLine<R>(_ k: Int, _ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        try bytes.withUnsafeBufferPointer { try body(UnsafeBufferPointer(rebasing: $0[offsets[k]..<offsets[k + 1]])) }
    }
}

/// Cuts a sentence file into batches of lines, deciding from the first non-blank line whether
/// it is JSONL (starts with `{`) or one sentence per line, and rejecting binary content.
public final class LineBatchReader {
    let reader: GzipLineReader
    let path: String
    let batchSize: Int
    private var isJSON: Bool?

    public init(reader: GzipLineReader, path: String, batchSize: Int) {
        self.reader = reader
        self.path = path
        self.batchSize = max(1, batchSize)
    }

    /// The next batch, or nil at the end of the file.
    public func next() throws -> LineBatch? {
        var batch = LineBatch()
        while batch.count < batchSize, let line = try reader.nextLine() {
            if isJSON == nil {
                guard let first = line.first(where: { $0 != 32 && $0 != 9 && $0 != 13 }) else { continue }  // leading blank lines
                isJSON = first == 123
            }
            // Binary content shows as NUL bytes; JSON lines are checked by the parser instead.
            if isJSON == false, line.count > 0, memchr(line.baseAddress!, 0, line.count) != nil {
                throw FileError(path, "line \(reader.lineNumber) contains NUL bytes; expected JSONL or one sentence per line")
            }
            if isJSON == true && line.allSatisfy({ $0 == 32 || $0 == 9 || $0 == 13 }) {
                throw FileError(path, "line \(reader.lineNumber) is empty; every line of a JSONL file must be a JSON object")
            }
            batch.bytes.append(contentsOf: line)
            batch.offsets.append(batch.bytes.count)
            batch.lineNumbers.append(reader.lineNumber)
        }
        batch.isJSON = isJSON ?? false
        // Readable bytes after the last line, for the lookup's 8-byte reads.
        batch.bytes.append(contentsOf: [UInt8](repeating: 0, count: GeneLookup.padding))
        return batch.count > 0 ? batch : nil
    }
}

private final class PrefetchSlot: @unchecked Sendable {
    let group = DispatchGroup()
    var result: Result<LineBatch?, Error>?
}
