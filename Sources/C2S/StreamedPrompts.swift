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
    /// still counts them all).
    ///
    /// - Throws: `FileError` naming the file and line for a malformed line, a file that mixes
    ///   prompt formats or names an unknown one, or an example that cannot be encoded.
    public static func read(path: String, split: String, validationSplit: String?, validationLimit: Int? = nil,
                            seen: TrainingTasksSeen, encoder: (PromptJoin) -> PromptEncoder,
                            folder: String? = nil) throws -> StreamedPrompts {
        let train = try TokenizedExampleFile(folder: folder)
        var trainReport = TruncationReport(), validationReport = TruncationReport()
        let validation = try TokenizedExampleFile(folder: folder)
        var counts: [String: Int] = [:]
        var format = PromptFormatAgreement(path: path)
        var seen = seen
        var made: PromptEncoder?
        var trainChunk: [PromptRecord] = [], validationChunk: [PromptRecord] = []
        var validationTaken = 0
        func flush() throws {
            guard let encoder = made else { return }
            if !trainChunk.isEmpty {
                let encoded = try encoder.encode(trainChunk, path: path)
                for e in encoded.examples { try train.append(e) }
                trainReport.merge(encoded.report)
                trainChunk.removeAll(keepingCapacity: true)
            }
            if !validationChunk.isEmpty {
                let encoded = try encoder.encode(validationChunk, path: path)
                for e in encoded.examples { try validation.append(e) }
                validationReport.merge(encoded.report)
                validationChunk.removeAll(keepingCapacity: true)
            }
        }
        try PromptDataset.forEachRecord(path: path) { record in
            counts[record.split, default: 0] += 1
            try format.check(record)
            if made == nil { made = encoder(try PromptJoin.of(format: record.promptFormat)) }
            if record.split == split {
                seen.add(record)
                trainChunk.append(record)
            } else if record.split == validationSplit, validationTaken < validationLimit ?? .max {
                validationChunk.append(record)
                validationTaken += 1
            }
            if trainChunk.count + validationChunk.count >= chunk { try flush() }
        }
        try flush()
        try train.finish()
        try validation.finish()
        return StreamedPrompts(train: train, trainReport: trainReport, validation: validation, validationReport: validationReport,
                               splitCounts: counts, promptFormat: format.format, join: made?.join ?? .c2s, seen: seen)
    }
}

extension TruncationReport {
    /// Adds `other`'s counts (and keeps the longer of the longest examples).
    mutating func merge(_ other: TruncationReport) {
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
