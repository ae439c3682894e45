import Foundation
import Prompts
import SingleCell
import Transformer

/// A prompt file turned into training examples in one streaming pass: the training split's
/// examples tokenized into a `TokenizedExampleFile` (tokens on disk, a 17-byte index per
/// example in memory), the validation split's into another, and what `c2s.json` needs
/// gathered on the way. Memory does not grow with the examples' tokens, nor with the prompt
/// file's text.
public struct StreamedPrompts: Sendable {
    public let train: TokenizedExampleFile
    public let trainReport: TruncationReport
    public let validation: TokenizedExampleFile
    public let validationReport: TruncationReport
    /// Examples per split name (every split in the file).
    public let splitCounts: [String: Int]
    /// The published format the prompts are in (nil: c2s's own).
    public let promptFormat: String?
    public let join: PromptJoin
    /// Tasks, labels and cells of the training split.
    public let seen: TrainingTasksSeen

    /// Records are encoded this many at a time (spread over the cores by the tokenizer).
    static let chunk = 4096

    /// Reads `path`, encoding the records of `split` and `validationSplit` with `encoder(join)`
    /// (of the validation split only the first `validationLimit`, when given; `splitCounts`
    /// still counts them all). With several ranks in `group` (a data-parallel run) the file is
    /// divided among them and every rank gets the same examples and figures as one process
    /// (`RankDividedPrompts`).
    ///
    /// - Throws: `FileError` naming the file and line for a malformed line, a file that mixes
    ///   prompt formats or names an unknown one, or an example that cannot be encoded.
    public static func read(path: String, split: String, validationSplit: String?, validationLimit: Int? = nil,
                            seen: TrainingTasksSeen, folder: String? = nil, group: any Communicator = SingleProcess(),
                            encoder: (PromptJoin) -> PromptEncoder) throws -> StreamedPrompts {
        if group.size > 1 {
            return try RankDividedPrompts.read(path: path, split: split, validationSplit: validationSplit, validationLimit: validationLimit,
                                               seen: seen, encoder: encoder, folder: folder, group: group)
        }
        let part = try StreamedPromptsPart.read(path: path, share: TextFileShare(bytes: 0..<UInt64.max, firstLine: 1), first: nil,
                                                split: split, validationSplit: validationSplit, validationLimit: validationLimit,
                                                deferValidation: false, seen: seen, encoder: encoder, folder: folder)
        guard part.records > 0 else { throw PromptDataset.noRecords(path) }
        return StreamedPrompts(train: part.train, trainReport: part.trainReport, validation: part.validation,
                               validationReport: part.validationReport,
                               splitCounts: part.counts, promptFormat: part.format, join: part.join, seen: part.seen)
    }
}

/// What one streaming pass over a prompt file, or over one share of its lines, gathered.
struct StreamedPromptsPart {
    var train: TokenizedExampleFile
    var trainReport = TruncationReport()
    var validation: TokenizedExampleFile
    var validationReport = TruncationReport()
    /// The validation records read but not yet encoded (`deferValidation`).
    var validationRecords: [PromptRecord] = []
    var counts: [String: Int] = [:]
    var format: String?
    var join: PromptJoin = .c2s
    var seen: TrainingTasksSeen
    /// Records read.
    var records = 0
    var encoder: PromptEncoder?
    let path: String

    /// Reads the records of `share`, encoding those of `split` and of `validationSplit` (the
    /// first `validationLimit` of this share; with `deferValidation` they are kept as read, for
    /// `encodeValidation`). `first`, when given, is the file's first record: its format decides
    /// how records are joined and is the one every record must agree with (the share may not
    /// hold it).
    static func read(path: String, share: TextFileShare, first: PromptRecord?, split: String, validationSplit: String?,
                     validationLimit: Int?, deferValidation: Bool, seen: TrainingTasksSeen,
                     encoder: (PromptJoin) -> PromptEncoder, folder: String?) throws -> StreamedPromptsPart {
        var part = StreamedPromptsPart(train: try TokenizedExampleFile(folder: folder), validation: try TokenizedExampleFile(folder: folder),
                                       seen: seen, path: path)
        var agreement = PromptFormatAgreement(path: path)
        if let first {
            try agreement.check(first)
            part.encoder = encoder(try PromptJoin.of(format: first.promptFormat))
        }
        var trainChunk: [PromptRecord] = [], validationChunk: [PromptRecord] = []
        var validationTaken = 0
        func flush() throws {
            if !trainChunk.isEmpty {
                let encoded = try part.encoder!.encode(trainChunk, path: path)
                for e in encoded.examples { try part.train.append(e) }
                part.trainReport.merge(encoded.report)
                trainChunk.removeAll(keepingCapacity: true)
            }
            if !validationChunk.isEmpty {
                try part.append(validation: validationChunk)
                validationChunk.removeAll(keepingCapacity: true)
            }
        }
        try PromptDataset.forEachRecord(path: path, share: share) { record in
            part.records += 1
            part.counts[record.split, default: 0] += 1
            try agreement.check(record)
            if part.encoder == nil { part.encoder = encoder(try PromptJoin.of(format: record.promptFormat)) }
            if record.split == split {
                part.seen.add(record)
                trainChunk.append(record)
            } else if record.split == validationSplit, validationTaken < validationLimit ?? .max {
                if deferValidation { part.validationRecords.append(record) } else { validationChunk.append(record) }
                validationTaken += 1
            }
            if trainChunk.count + validationChunk.count >= StreamedPrompts.chunk { try flush() }
        }
        try flush()
        try part.train.finish()
        if !deferValidation { try part.validation.finish() }
        part.format = agreement.format
        part.join = part.encoder?.join ?? .c2s
        return part
    }

    /// Encodes validation records into `validation`.
    private mutating func append(validation records: [PromptRecord]) throws {
        let encoded = try encoder!.encode(records, path: path)
        for e in encoded.examples { try validation.append(e) }
        validationReport.merge(encoded.report)
    }

    /// Encodes the first `count` of the deferred validation records (in chunks) and finishes
    /// the validation file.
    mutating func encodeValidation(first count: Int) throws {
        var start = 0
        while start < count {
            let end = min(count, start + StreamedPrompts.chunk)
            try append(validation: Array(validationRecords[start..<end]))
            start = end
        }
        validationRecords = []
        try validation.finish()
    }
}

extension TruncationReport {
    /// Adds `other`'s counts (and keeps the longer of the longest examples).
    public mutating func merge(_ other: TruncationReport) {
        examples += other.examples
        tokens += other.tokens
        longest = max(longest, other.longest)
        truncatedBySentence += other.truncatedBySentence
        droppedGenes += other.droppedGenes
        truncatedByTokens += other.truncatedByTokens
        droppedTokens += other.droppedTokens
        boundaryByDecoding += other.boundaryByDecoding
        straddlingBoundary += other.straddlingBoundary
    }
}
