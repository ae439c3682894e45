import Foundation
import Prompts
import SingleCell

/// One line of a prompt dataset written by `c2s prompts`.
public struct PromptRecord: Sendable, Equatable {
    public var task: String
    /// `train`, `validation` or `test`.
    public var split: String
    /// `cell_name`, or the `cell_names` of a group (control then perturbed for perturbations).
    public var cellNames: [String]
    public var modelInput: String
    public var response: String
    /// Where each cell sentence sits in `modelInput`, as ranges of Unicode code-point offsets
    /// (`input_sentence_spans`, end exclusive); nil when the line does not say.
    public var sentenceSpans: [Range<Int>]?
    /// `prompt_format`: the published checkpoint family whose format the line is written in
    /// (nil: c2s's own).
    public var promptFormat: String?
    /// 1-based line number in the file, for messages.
    public var line: Int

    public init(task: String, split: String, cellNames: [String], modelInput: String, response: String,
                sentenceSpans: [Range<Int>]? = nil, promptFormat: String? = nil, line: Int) {
        self.task = task
        self.split = split
        self.cellNames = cellNames
        self.modelInput = modelInput
        self.response = response
        self.sentenceSpans = sentenceSpans
        self.promptFormat = promptFormat
        self.line = line
    }
}

/// A prompt dataset (JSON lines from `c2s prompts`): `task`, `split`, `cell_name` or
/// `cell_names`, `model_input`, `response`, and optionally `input_sentence_spans` and
/// `prompt_format`.
public struct PromptDataset: Sendable {
    public let path: String
    public let records: [PromptRecord]

    /// Reads and checks every line. Blank lines are skipped; anything else that is not a JSON
    /// object with string `task`, `split`, `model_input` and `response` fields is an error
    /// naming the file and line, as is a file without any example.
    public init(path: String) throws {
        self.path = path
        var records: [PromptRecord] = []
        try Self.forEachRecord(path: path) { records.append($0) }
        self.records = records
    }

    /// The prompt format every record of `records` is written in (nil: c2s's own), checked to
    /// be one known format: a file that mixes formats, or names one c2s does not know, is an
    /// error naming the file and lines.
    public static func promptFormat(of records: [PromptRecord], path: String) throws -> String? {
        var agreement = PromptFormatAgreement(path: path)
        for r in records { try agreement.check(r) }
        return agreement.format
    }

    /// The records of one split, in file order.
    public func split(_ name: String) -> [PromptRecord] { records.filter { $0.split == name } }

    /// Split names present, sorted, with their example counts.
    public var splitCounts: [(split: String, examples: Int)] {
        Dictionary(grouping: records, by: \.split).map { ($0.key, $0.value.count) }.sorted { $0.split < $1.split }
    }

    static func parse(_ line: Substring, number: Int, path: String) throws -> PromptRecord {
        func fail(_ problem: String) -> FileError { FileError(path, "line \(number): \(problem)") }
        guard let value = try? JSONSerialization.jsonObject(with: Data(line.utf8)), let object = value as? [String: Any] else {
            throw fail("not a JSON object (expected JSON lines from 'c2s prompts')")
        }
        func string(_ key: String) throws -> String {
            guard let s = object[key] as? String else {
                throw fail(object[key] == nil ? "no \"\(key)\" field (the line has \(object.keys.sorted().joined(separator: ", ")))" : "\"\(key)\" is not a string")
            }
            return s
        }
        let task = try string("task"), split = try string("split")
        let input = try string("model_input"), response = try string("response")
        var names: [String] = []
        if let name = object["cell_name"] as? String { names = [name] } else if let list = object["cell_names"] as? [String] { names = list }
        var spans: [Range<Int>]?
        if let raw = object["input_sentence_spans"], !(raw is NSNull) {
            guard let list = raw as? [Any] else { throw fail("\"input_sentence_spans\" is not a list of [start, end] pairs") }
            let length = input.unicodeScalars.count
            var ranges: [Range<Int>] = []
            for item in list {
                guard let pair = item as? [Any], pair.count == 2, let start = Self.integer(pair[0]), let end = Self.integer(pair[1]),
                      0 <= start, start <= end, end <= length else {
                    throw fail("\"input_sentence_spans\" holds \(item), not a [start, end] pair of code-point offsets within model_input (0...\(length))")
                }
                if let last = ranges.last, start < last.upperBound {
                    throw fail("\"input_sentence_spans\" are not in order or overlap ([\(last.lowerBound), \(last.upperBound)] then [\(start), \(end)])")
                }
                ranges.append(start..<end)
            }
            spans = ranges
        }
        var format: String?
        if let raw = object["prompt_format"], !(raw is NSNull) {
            guard let name = raw as? String else { throw fail("\"prompt_format\" is not a string") }
            format = name
        }
        return PromptRecord(task: task, split: split, cellNames: names, modelInput: input, response: response,
                            sentenceSpans: spans, promptFormat: format, line: number)
    }

    /// An integral JSON number (Foundation hands numbers over as NSNumber).
    private static func integer(_ value: Any) -> Int? {
        // On Linux every JSON number and boolean arrives as an NSNumber; booleans report "c".
        guard let n = value as? NSNumber, String(cString: n.objCType) != "c" else { return nil }
        let d = n.doubleValue
        return d == d.rounded() && abs(d) < 1e15 ? Int(d) : nil
    }
}

/// The check that every record of a prompt file is in one known prompt format, one record at a
/// time: the first record's format must be a known profile, and every later record must share it.
public struct PromptFormatAgreement: Sendable {
    public let path: String
    private var first: (format: String?, line: Int)?

    public init(path: String) { self.path = path }

    /// The format of the records so far (nil: c2s's own, or no record yet).
    public var format: String? { first?.format ?? nil }

    /// - Throws: `FileError` naming the file and both lines when `record` is in another format
    ///   than the first, or the first names a format c2s does not know.
    public mutating func check(_ record: PromptRecord) throws {
        guard let first else {
            if let format = record.promptFormat {
                do { _ = try PromptProfiles.named(format) } catch { throw FileError(path, "line \(record.line): \(error)") }
            }
            self.first = (record.promptFormat, record.line)
            return
        }
        guard record.promptFormat == first.format else {
            func name(_ f: String?) -> String { f.map { "'\($0)'" } ?? "c2s's own (no prompt_format)" }
            throw FileError(path, "mixes prompt formats: line \(first.line) is in \(name(first.format)), line \(record.line) in \(name(record.promptFormat)); a model is trained on one format (make the prompts with one --prompt-format)")
        }
    }
}
