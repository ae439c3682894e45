import Prompts
import SingleCell
import Transformer

/// Which tokens take a loss.
public enum LossTarget: String, Sendable, CaseIterable, Codable {
    /// The response and the EOS token after it (the default, as in the C2S papers).
    case response
    /// Every token after the first.
    case all
}

/// What encoding a set of prompts did to make them fit.
public struct TruncationReport: Sendable, Equatable, Codable {
    public var examples = 0
    public var tokens = 0
    public var longest = 0
    /// Examples cut at gene granularity inside their cell sentences (`input_sentence_spans`),
    /// and the genes removed in all.
    public var truncatedBySentence = 0
    public var droppedGenes = 0
    /// Examples without spans cut by dropping tokens from the start of the input (after any
    /// BOS), and the tokens removed in all.
    public var truncatedByTokens = 0
    public var droppedTokens = 0
    /// Examples whose prompt tokens were not a prefix of the full text's tokens, so the start
    /// of the response was found by decoding; of those, how many had a token spanning the
    /// boundary (that token is trained on, since the model has to produce it).
    public var boundaryByDecoding = 0
    public var straddlingBoundary = 0

    public init() {}

    public var truncated: Int { truncatedBySentence + truncatedByTokens }
}

/// Examples for training: the prompt dataset's texts exactly as the model sees them at
/// inference, tokenized, with the loss boundary and, where needed, truncation.
public struct PromptEncoding: Sendable {
    public var examples: [TrainingExample]
    public var report: TruncationReport
}

/// How input and response become one token sequence.
public enum PromptJoin: Sendable, Equatable {
    /// c2s's own: `model_input + separator + response` tokenized as one text (see
    /// `PromptEncoder`).
    case oneText(separator: String)
    /// The published checkpoints' (cell2sentence's `tokenize_loss_on_response`): the input
    /// tokenized alone (with the tokenizer's special tokens, e.g. Gemma's `<bos>`), then the
    /// response tokenized alone *without* special tokens, then EOS. The reference tokenizes the
    /// response with its special tokens too, which for a tokenizer that adds a BOS puts a second
    /// `<bos>` before every response; c2s leaves that out, as its inference (and the reference's,
    /// which generates from the input alone) never shows it.
    case separate

    /// c2s's own join (one space).
    public static let c2s = PromptJoin.oneText(separator: PromptFormat.separator)

    /// The join of prompts in `format` (a `PromptProfile` name; nil: c2s's own).
    public static func of(format: String?) throws -> PromptJoin {
        guard let format, format != PromptProfiles.c2s.name else { return .c2s }
        let profile = try PromptProfiles.named(format)
        guard let separator = profile.separator else { return .c2s }
        return separator.isEmpty ? .separate : .oneText(separator: separator)
    }

    /// What `c2s.json` records as `separator`.
    public var separator: String {
        switch self {
        case .oneText(let s): return s
        case .separate: return ""
        }
    }
}

/// Turns prompt records into `TrainingExample`s.
///
/// With `PromptJoin.separate` (prompts in a published checkpoint's format) the input's tokens
/// are followed by the response's own tokens and EOS, the boundary is the input's length, and
/// truncation works as below. Otherwise (c2s's own prompts):
/// - Text: `model_input + " " + response` (`PromptFormat.separator`), tokenized as **one**
///   string with the tokenizer's special tokens (a BOS for tokenizers that add one), then the
///   EOS token appended — the prompt is never tokenized apart from the response, so no second
///   BOS lands mid-sequence and the tokens at the boundary are those of the joined text.
/// - Loss boundary: the input is tokenized alone; when its tokens are a prefix of the full
///   text's tokens the response starts right after them (the usual case: inputs end with ":"
///   or "?" and the response's first token carries the space). Otherwise the boundary is
///   found by decoding prefixes of the full tokens; a token that spans the boundary counts as
///   response. A tokenizer that cannot give the input back by decoding is an error.
/// - Too long for the context: the cell sentences of the input lose their last (lowest
///   ranked) genes, whole genes at a time, using `input_sentence_spans`; without spans, tokens
///   are dropped from the start of the input (after a BOS). The response and EOS are never
///   cut; when they cannot fit with a minimal prompt, encoding fails naming the line.
public struct PromptEncoder: Sendable {
    public let tokenizer: Tokenizer
    public let eosTokenID: Int32
    /// The longest sequence, EOS included.
    public let maxLength: Int
    public let lossOn: LossTarget
    public let join: PromptJoin

    public init(tokenizer: Tokenizer, eosTokenID: Int32, maxLength: Int, lossOn: LossTarget = .response, join: PromptJoin = .c2s) {
        self.tokenizer = tokenizer
        self.eosTokenID = eosTokenID
        self.maxLength = maxLength
        self.lossOn = lossOn
        self.join = join
    }

    /// The text the model is trained on for a record (before the EOS token), with c2s's join.
    public static func text(input: String, response: String) -> String {
        input + PromptFormat.separator + response
    }

    /// The tokens of input and response joined as `join` says (before EOS).
    func fullTokens(input: String, inputTokens: [Int32], response: String) -> [Int32] {
        switch join {
        case .oneText(let separator): return tokenizer.encode(input + separator + response)
        case .separate: return inputTokens + tokenizer.encode(response, addSpecialTokens: false)
        }
    }

    /// Encodes `records` (all from `path`, named in errors), spread over all cores for the
    /// tokenization itself.
    public func encode(_ records: [PromptRecord], path: String) throws -> PromptEncoding {
        let inputs = tokenizer.encodeBatch(records.map(\.modelInput))
        let full: [[Int32]]
        switch join {
        case .oneText(let separator):
            full = tokenizer.encodeBatch(records.map { $0.modelInput + separator + $0.response })
        case .separate:
            let responses = tokenizer.encodeBatch(records.map(\.response), addSpecialTokens: false)
            full = zip(inputs, responses).map { $0 + $1 }
        }
        var report = TruncationReport()
        var examples: [TrainingExample] = []
        examples.reserveCapacity(records.count)
        for (i, record) in records.enumerated() {
            var split = try join(full[i], inputs[i], record: record, path: path, report: &report)
            if split.tokens.count > maxLength {
                split = try truncate(record, split, path: path, report: &report)
            }
            let start = lossOn == .response ? split.boundary : 1
            examples.append(TrainingExample(tokens: split.tokens, lossStart: start, task: record.task))
            report.examples += 1
            report.tokens += split.tokens.count
            report.longest = max(report.longest, split.tokens.count)
        }
        return PromptEncoding(examples: examples, report: report)
    }

    /// A sequence with EOS and the index of the response's first token.
    struct Split {
        var tokens: [Int32]
        var boundary: Int
    }

    /// Appends EOS to the full text's tokens and finds the boundary.
    func join(_ fullIDs: [Int32], _ inputIDs: [Int32], record: PromptRecord, path: String, report: inout TruncationReport) throws -> Split {
        var tokens = fullIDs
        // A post-processor that already ends every sequence with EOS gets no second one.
        if tokens.last != eosTokenID { tokens.append(eosTokenID) }
        let body = tokens.count - 1
        if inputIDs.count < body, tokens[..<inputIDs.count].elementsEqual(inputIDs) {
            return Split(tokens: tokens, boundary: inputIDs.count)
        }
        report.boundaryByDecoding += 1
        let (boundary, straddles) = try decodedBoundary(Array(tokens[..<body]), input: record.modelInput, record: record, path: path)
        if straddles { report.straddlingBoundary += 1 }
        return Split(tokens: tokens, boundary: boundary)
    }

    /// The first token that is not entirely input text, found by decoding prefixes: the
    /// smallest k whose decoded text reaches the input's length.
    func decodedBoundary(_ ids: [Int32], input: String, record: PromptRecord, path: String) throws -> (Int, straddles: Bool) {
        let target = input.utf8.count
        func decoded(_ k: Int) -> String { tokenizer.decode(Array(ids[..<k]), skipSpecialTokens: true) }
        var lo = 0, hi = ids.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if decoded(mid).utf8.count >= target { hi = mid } else { lo = mid + 1 }
        }
        let text = decoded(lo)
        if text == input, lo < ids.count { return (lo, false) }
        if lo > 0, text.hasPrefix(input), input.hasPrefix(decoded(lo - 1)) { return (lo - 1, true) }
        throw FileError(path, "line \(record.line): cannot find where the response starts in the tokens (decoding the tokens does not give the model_input back; is this tokenizer lossless?)")
    }

    /// Makes a too-long example fit (see the type's description).
    func truncate(_ record: PromptRecord, _ split: Split, path: String, report: inout TruncationReport) throws -> Split {
        let response = split.tokens.count - split.boundary
        if let spans = record.sentenceSpans, !spans.isEmpty {
            let cutter = SentenceTruncation(input: record.modelInput, spans: spans)
            var scratch = TruncationReport()
            func attempt(_ genes: Int) throws -> (Split, dropped: Int) {
                let (input, dropped) = cutter.keeping(atMost: genes)
                let inputTokens = tokenizer.encode(input)
                let full = fullTokens(input: input, inputTokens: inputTokens, response: record.response)
                var shortened = record
                shortened.modelInput = input
                return (try join(full, inputTokens, record: shortened, path: path, report: &scratch), dropped)
            }
            // The largest gene cap that fits: the token count only grows with the cap.
            var lo = 1, hi = max(1, cutter.longestSentence - 1)
            var best = try attempt(lo)
            guard best.0.tokens.count <= maxLength else {
                throw FileError(path, "line \(record.line): the response needs \(response) tokens (with EOS) and, with one gene per cell sentence, the whole example \(best.0.tokens.count); the context holds \(maxLength) (raise --max-length or use a model with a longer context, or shorten the responses)")
            }
            while lo < hi {
                let mid = (lo + hi + 1) / 2
                let candidate = try attempt(mid)
                if candidate.0.tokens.count <= maxLength { lo = mid; best = candidate } else { hi = mid - 1 }
            }
            report.truncatedBySentence += 1
            report.droppedGenes += best.dropped
            report.boundaryByDecoding += scratch.boundaryByDecoding > 0 ? 1 : 0
            return best.0
        }
        // No spans: drop input tokens from the start, keeping a leading BOS the tokenizer added
        // and at least one input token.
        let lead = split.tokens.first.map { tokenizer.bosTokenID == $0 && tokenizer.isSpecial($0) } == true ? 1 : 0
        let excess = split.tokens.count - maxLength
        guard split.boundary - lead - excess >= 1 else {
            throw FileError(path, "line \(record.line): the response needs \(response) tokens (with EOS), which with \(lead + 1) token(s) of prompt does not fit the context of \(maxLength) (raise --max-length or use a model with a longer context, or shorten the responses)")
        }
        report.truncatedByTokens += 1
        report.droppedTokens += excess
        let tokens = Array(split.tokens[..<lead]) + Array(split.tokens[(lead + excess)...])
        return Split(tokens: tokens, boundary: split.boundary - excess)
    }
}
