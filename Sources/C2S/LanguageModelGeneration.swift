import Foundation
import Mechanics
import SingleCell
import Transformer

/// What `c2s lm generate` runs besides the model.
public struct LanguageModelGenerationSettings: Sendable {
    public var prompts: LanguageModelPrompts
    /// Lengths, sampling and seed. Its stop tokens are replaced by the model's
    /// (`LanguageModelFolder.stopTokens`).
    public var options: GenerationOptions
    /// A sequence stops once its text contains one of these.
    public var stopStrings: [String] = []
    /// Prompts per call to the generator (the output does not depend on it).
    public var batchSize = 8
    /// The JSONL file to write; nil: standard output.
    public var output: String?
    public var overwrite = false

    public init(prompts: LanguageModelPrompts, options: GenerationOptions) {
        self.prompts = prompts
        self.options = options
    }
}

/// One prompt's continuation, as a line of the output.
public struct LanguageModelCompletion: Sendable {
    /// The prompt's position among all prompts.
    public var index: Int
    /// The new tokens as text (special tokens skipped), when the model has a tokenizer.
    public var text: String?
    public var tokens: [Int32]
    public var finishReason: FinishReason

    /// `{"index":…,"completion":…,"tokens":[…],"finish_reason":…}` (no completion without text).
    public var jsonLine: String {
        var fields: [(String, JSONLine.Value)] = [("index", .int(index))]
        if let text { fields.append(("completion", .string(text))) }
        fields += [("tokens", .ints(tokens.map(Int.init))), ("finish_reason", .string(finishReason.rawValue))]
        return JSONLine.object(fields)
    }
}

/// How a generation run went.
public struct LanguageModelGenerationResult: Sendable {
    public var prompts: Int
    public var newTokens: Int
    /// From the first batch to the last, model loading and prompt reading excluded.
    public var seconds: Double
}

/// Continuing prompts with a language model, batch by batch, one JSON line per prompt: the
/// workflow behind `c2s lm generate`.
public enum LanguageModelGeneration {
    public enum Event: Sendable {
        /// The prompts are read and the output claimed; generation begins (a progress display
        /// that starts here shows the generation rate alone).
        case started(prompts: Int)
        /// `done` of `total` prompts are continued.
        case progress(done: Int, total: Int)
    }

    /// Reads the prompts (with `folder`'s tokenizer when they are text, when its folder has
    /// one for the completions, or when stop strings need it), generates and writes the lines.
    public static func run(model: any CausalLanguageModel, folder: LanguageModelFolder, settings s: LanguageModelGenerationSettings,
                           onEvent: (Event) -> Void = { _ in }) throws -> LanguageModelGenerationResult {
        let tokenizer = folder.hasTokenizer || s.prompts.isText || !s.stopStrings.isEmpty ? try folder.tokenizer() : nil
        let ids = try s.prompts.tokenIDs(vocabularySize: model.info.vocabularySize, tokenizer: tokenizer)
        var options = s.options
        options.stopTokenIDs = try folder.stopTokens(model)
        var stop: ((Int, [Int32]) -> Bool)?
        if let tokenizer, !s.stopStrings.isEmpty {
            let stops = s.stopStrings
            stop = { _, tokens in
                let text = tokenizer.decode(tokens, skipSpecialTokens: true)
                return stops.contains { text.contains($0) }
            }
        }
        let out = try LineOutput(path: s.output, overwrite: s.overwrite, inputs: [s.prompts.path])
        onEvent(.started(prompts: ids.count))
        let started = Date()
        var newTokens = 0
        for start in stride(from: 0, to: ids.count, by: s.batchSize) {
            let chunk = Array(ids[start..<min(ids.count, start + s.batchSize)])
            let results = try Generator(model: model).generate(prompts: chunk, options: options, firstIndex: start, stop: stop)
            for (k, r) in results.enumerated() {
                newTokens += r.tokens.count
                let text = tokenizer.map { $0.decode(r.tokens, skipSpecialTokens: true) }
                try out.write(LanguageModelCompletion(index: start + k, text: text, tokens: r.tokens, finishReason: r.finishReason).jsonLine)
            }
            onEvent(.progress(done: min(ids.count, start + s.batchSize), total: ids.count))
        }
        try out.commit()
        return LanguageModelGenerationResult(prompts: ids.count, newTokens: newTokens, seconds: Date().timeIntervalSince(started))
    }
}
