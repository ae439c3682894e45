import Foundation

/// Options of one generation call.
public struct GenerationOptions: Sendable {
    public var maxNewTokens: Int
    /// End-of-sequence tokens are forbidden before this many new tokens.
    public var minNewTokens: Int
    public var sampling: SamplingOptions
    public var seed: UInt64
    /// Tokens that end a sequence (nil: the model's `eos_token_id`s). The stop token is kept
    /// in the output, as transformers does.
    public var stopTokenIDs: [Int32]?
    /// Prefill work is split into passes of at most this many tokens, bounding activation
    /// memory whatever the batch size.
    public var maxTokensPerPass: Int
    /// Restricts the tokens each step may choose (e.g. only valid, unused gene names).
    public var constraint: (any DecodingConstraint)?
    /// Classifier-free guidance: each prompt's unconditional twin and the scale (nil: off).
    /// Applied to the raw scores before every other processor.
    public var guidance: Guidance?

    public init(maxNewTokens: Int = 64, minNewTokens: Int = 0, sampling: SamplingOptions = .greedy, seed: UInt64 = 0,
                stopTokenIDs: [Int32]? = nil, maxTokensPerPass: Int = 8192, constraint: (any DecodingConstraint)? = nil,
                guidance: Guidance? = nil) {
        self.constraint = constraint
        self.guidance = guidance
        self.maxNewTokens = maxNewTokens
        self.minNewTokens = minNewTokens
        self.sampling = sampling
        self.seed = seed
        self.stopTokenIDs = stopTokenIDs
        self.maxTokensPerPass = maxTokensPerPass
    }
}

/// Why a sequence stopped.
public enum FinishReason: String, Sendable, Codable {
    case endOfSequence = "eos"
    case stopString = "stop_string"
    case length
}

/// One generated continuation.
public struct Generation: Sendable {
    public var tokens: [Int32]
    public var finishReason: FinishReason
}

/// Batched generation with a KV cache: all prompts are prefilled (in passes of bounded size),
/// then every unfinished sequence advances one token per pass. Finished sequences leave the
/// batch, so no work is spent on them.
public struct Generator: Sendable {
    public let model: any CausalLanguageModel

    public init(model: any CausalLanguageModel) { self.model = model }

    /// Generates a continuation of each prompt. `stop(i, newTokens)` may end sequence `i`
    /// early (stop strings); `progress(step)` is called after every decoding step. Prompt `i`
    /// samples from random stream `firstIndex + i`: a caller that splits a long list of
    /// prompts into batches passes each batch's offset, and the output does not depend on the
    /// batch size (nor on the thread count).
    ///
    /// With `options.guidance`, prompt `i`'s unconditional twin runs as sequence `N + i` of
    /// the same cache (N prompts): both are prefilled, each step combines their scores
    /// (`Guidance.combine`), one token is chosen and fed to both, and the budget is the
    /// smaller of the two. A scale of 1 is the conditional distribution itself: the twins are
    /// then not run at all, so the output is exactly the unguided one (transformers likewise
    /// returns the scores unchanged at scale 1).
    public func generate(
        prompts: [[Int32]], options: GenerationOptions, firstIndex: Int = 0,
        stop: ((Int, [Int32]) -> Bool)? = nil, progress: ((Int) -> Void)? = nil
    ) throws -> [Generation] {
        try options.sampling.validate()
        guard options.maxNewTokens >= 0, options.minNewTokens >= 0 else {
            throw ModelError.input("max and min new tokens must not be negative")
        }
        let info = model.info
        try options.guidance?.validate(promptCount: prompts.count)
        let twins = options.guidance?.unconditionalPrompts ?? []
        for (kind, list) in [("prompt", prompts), ("unconditional prompt", twins)] {
            for (i, p) in list.enumerated() {
                guard !p.isEmpty else { throw ModelError.input("\(kind) \(i + 1) is empty (no tokens)") }
                guard p.count < info.contextLength else {
                    throw ModelError.input("\(kind) \(i + 1) has \(p.count) tokens; the model's context holds \(info.contextLength), leaving no room to generate")
                }
            }
        }
        // Scale 1 leaves the conditional scores as they are: no need to run the twins.
        let scale = options.guidance?.scale ?? 1
        let guided = scale != 1
        let n = prompts.count
        // Sequences of the cache: the prompts, then (guided) their unconditional twins.
        let sequences = guided ? prompts + twins : prompts
        let eos = options.stopTokenIDs ?? info.eosTokenIDs
        let budget = prompts.indices.map { i in
            min(options.maxNewTokens, info.contextLength - prompts[i].count, guided ? info.contextLength - twins[i].count : Int.max)
        }
        let cache = model.makeCache(capacities: sequences.indices.map { sequences[$0].count + max(0, budget[$0 % n]) })
        var results = prompts.map { _ in Generation(tokens: [], finishReason: .length) }
        let states = prompts.map { _ in options.constraint?.makeState() }
        var active: [Int] = []
        var lastLogits: [Int: [Float]] = [:]

        try Prefill.run(model, sequences, cache: cache, maxTokensPerPass: options.maxTokensPerPass) { i, logits in
            lastLogits[i] = Array(logits)
        }
        active = prompts.indices.filter { budget[$0] > 0 }

        let random = CounterRandom(seed: options.seed)
        var seen = Set<Int32>()
        var step = 0
        while !active.isEmpty {
            var batch = ForwardBatch()
            var stillActive: [Int] = []
            for i in active {
                var logits = lastLogits[i]!
                let next = logits.withUnsafeMutableBufferPointer { row in
                    if guided { lastLogits[n + i]!.withUnsafeBufferPointer { Guidance.combine(row, unconditional: $0, scale: scale) } }
                    return choose(row, sequence: firstIndex + i, prompt: prompts[i], generated: results[i].tokens, options: options,
                           eos: eos, constraint: states[i], random: random, seen: &seen)
                }
                states[i]?.advance(next)
                results[i].tokens.append(next)
                if eos.contains(next) {
                    results[i].finishReason = .endOfSequence
                } else if let stop, stop(i, results[i].tokens) {
                    results[i].finishReason = .stopString
                } else if results[i].tokens.count < budget[i] {
                    stillActive.append(i)
                    batch.append(slot: i, newTokens: [next], past: prompts[i].count + results[i].tokens.count - 1)
                    // The twin continues with the same token, so that it scores the same continuation.
                    if guided { batch.append(slot: n + i, newTokens: [next], past: twins[i].count + results[i].tokens.count - 1) }
                }
            }
            step += 1
            progress?(step)
            active = stillActive
            guard !active.isEmpty else { break }
            let out = try model.forward(batch, cache: cache, logits: .lastOfEachSequence, hiddenStates: false)
            let v = info.vocabularySize
            // Rows come in the batch's order: each sequence, then (guided) its twin.
            let perSequence = guided ? 2 : 1
            for (k, i) in active.enumerated() {
                let row = k * perSequence
                lastLogits[i] = Array(out.logits[(row * v)..<((row + 1) * v)])
                if guided { lastLogits[n + i] = Array(out.logits[((row + 1) * v)..<((row + 2) * v)]) }
            }
        }
        return results
    }

    /// Applies the processors to one row of logits and picks the next token.
    private func choose(
        _ row: UnsafeMutableBufferPointer<Float>, sequence: Int, prompt: [Int32], generated: [Int32],
        options: GenerationOptions, eos: [Int32], constraint: (any DecodingConstraintState)?, random: CounterRandom, seen: inout Set<Int32>
    ) -> Int32 {
        let s = options.sampling
        if s.repetitionPenalty != 1 {
            LogitsProcessing.penalizeRepetition(row, history: prompt + generated, penalty: s.repetitionPenalty, seen: &seen)
        }
        LogitsProcessing.enforceMinimumLength(row, generated: generated.count, minNewTokens: options.minNewTokens, eos: eos)
        if let constraint {
            constraint.restrict(row)
            // Nothing left but ending, which the minimum length forbids: the constraint wins.
            if row.max() == -.infinity {
                for e in eos where e >= 0 && Int(e) < row.count { row[Int(e)] = 0 }
            }
        }
        guard s.sample else { return Int32(LogitsProcessing.argmax(UnsafeBufferPointer(row))) }
        LogitsProcessing.applyTemperature(row, s.temperature)
        let candidates = LogitsProcessing.topK(row, s.topK)
        LogitsProcessing.topP(row, s.topP, ascending: candidates)
        let u = random.uniform(sequence: sequence, step: generated.count)
        return Int32(LogitsProcessing.draw(UnsafeBufferPointer(row), candidates: candidates, uniform: u))
    }
}
