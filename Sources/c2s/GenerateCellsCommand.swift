import ArgumentParser
import C2S
import CellSentences
import Foundation
import Prompts
import SingleCell
import Transformer

/// Sampling and decoding options of the commands that write cell sentences.
struct SentenceDecodingArguments: ParsableArguments {
    @Flag(help: "Let the model write any text (the reference's behaviour) instead of only genes of the vocabulary, each at most once.")
    var unconstrained = false

    @Option(help: "Keep the k most likely tokens when sampling (0: off).")
    var topK = 50

    @Option(help: "Keep the smallest set of tokens with this much probability when sampling (1: off).")
    var topP: Float = 0.95

    @Option(help: "Sampling temperature.")
    var temperature: Float = 1

    @Option(help: "Random seed (a cell's sentence depends only on the seed and its number, not on batches or chunks).")
    var seed: UInt64 = 0

    @Option(help: "Constrained decoding: forbid the end token until a sentence has this many genes (default: 0 for generate-cells, the genes asked for in predict-perturbation).")
    var minGenes: Int?

    @Option(help: "Token budget per sentence (default: the model's context).")
    var maxNewTokens: Int?

    /// `defaultMinGenes`: the command's `--min-genes` when none is given.
    func options(sample: Bool, numGenes: Int, batchSize: Int, maxTokensPerPass: Int, defaultMinGenes: Int = 0) -> SentenceGenerationOptions {
        var o = SentenceGenerationOptions()
        o.numGenes = numGenes
        o.minGenes = minGenes ?? defaultMinGenes
        o.constrained = !unconstrained
        o.sampling = SamplingOptions(sample: sample, temperature: temperature, topK: topK, topP: topP)
        o.seed = seed
        o.maxNewTokens = maxNewTokens
        o.batchSize = batchSize
        o.maxTokensPerPass = maxTokensPerPass
        return o
    }

    func validate() throws {
        if let m = minGenes, m < 0 { throw ValidationError("--min-genes must be at least 0") }
    }

    func settings(sample: Bool) -> [String: String] {
        var s = ["unconstrained": String(unconstrained), "sample": String(sample), "top_k": String(topK), "top_p": String(topP),
                 "temperature": String(temperature), "seed": String(seed), "max_new_tokens": maxNewTokens.map(String.init) ?? ""]
        // Only when given, so that a run begun before the option existed can still resume.
        if let minGenes { s["min_genes"] = String(minGenes) }
        return s
    }
}

struct GenerateCellsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate-cells",
        abstract: "Generate new cells: sentences and reconstructed expression in one .h5ad.",
        discussion: """
            --condition COLUMN=VALUE asks for cells with a label the model learned (e.g. \
            cell_type=CD14 Mono), through the cell_type_generation task; repeat it for several \
            labels (-n cells each). Without --condition the cells are unconditional \
            (unconditional_generation). A value the model never saw is a warning that lists the \
            values it knows.

            Decoding is constrained by default: a trie over the tokenisations of the training \
            vocabulary's genes (" " + gene) lets every generated word be a gene of the \
            vocabulary and none repeat, so validity and uniqueness are 100 % by construction; \
            --unconstrained lets the model write anything, as the reference does. A sentence \
            stops at the end-of-sequence token or after --top-genes genes. Sampling as in the \
            paper: top-k 50, top-p 0.95 (--greedy for greedy search).

            --guidance G (classifier-free guidance) samples each token from u + G (c - u), \
            where c and u are the log-probabilities after the conditional prompt and after the \
            unconditional one: G > 1 makes the cells depend more on their label, which small \
            models otherwise forget once the first genes are written. The model must have \
            learned unconditional_generation too (c2s prompts --task unconditional_generation:W); \
            each guided cell costs two sequences.

            Output: X holds the reconstructed expression (the training data's inverse \
            transform; genes = its vocabulary), obs the condition, cell_sentence, n_tokens, \
            finish_reason (eos, num_genes or length) and the post-processing counts n_words, \
            n_valid_words, n_unique_genes.

            Examples:
              c2s generate-cells --model pbmc-model --condition "cell_type=CD14 Mono" -n 500 -o mono.h5ad
              c2s generate-cells --model pbmc-model --every-label -n 100 -o every-type.h5ad
              c2s generate-cells --model pbmc-model -n 100 --unconstrained -o free.h5ad
            """)

    @Option(name: .customLong("condition"), help: "COLUMN=VALUE (or VALUE): generate cells with this label (repeatable).")
    var conditions: [String] = []

    @Flag(help: "Condition on every label the model learned for cell generation (its c2s.json), -n cells each.")
    var everyLabel = false

    @Option(name: .customShort("n"), help: "Cells per condition (or in all, unconditionally).")
    var count = 100

    @Flag(help: "Greedy search instead of sampling.")
    var greedy = false

    @Option(help: "Classifier-free guidance scale (1: off; > 1 strengthens the condition; needs a model trained on unconditional_generation too).")
    var guidance: Float = 1

    @Option(name: .shortAndLong, help: "The .h5ad file to write.")
    var output: String

    @OptionGroup(title: "Decoding") var decoding: SentenceDecodingArguments
    @OptionGroup(title: "Model") var modelOptions: C2SModelOptions
    @OptionGroup(title: "Run") var runOptions: RunOptions

    func validate() throws {
        if count < 1 { throw ValidationError("-n must be at least 1") }
        if everyLabel && !conditions.isEmpty { throw ValidationError("--every-label and --condition exclude each other") }
        if !(guidance > 0 && guidance.isFinite) { throw ValidationError("--guidance must be a positive number (1: off), got \(guidance)") }
        if guidance != 1 && !everyLabel && conditions.isEmpty {
            throw ValidationError("--guidance strengthens a condition: give --condition or --every-label")
        }
    }

    func run() throws {
        try CLIErrors.run {
            let model = try modelOptions.load()
            let parsed = try CellGeneration.conditions(model: model, given: conditions, everyLabel: everyLabel, modelPath: modelOptions.model)
            let prompt = try modelOptions.prompt(CellGeneration.task(for: parsed), kind: .singleCell, model: model)
            var s = CellGenerationSettings(conditions: parsed, count: count, prompt: prompt, output: output)
            s.options = decoding.options(sample: !greedy, numGenes: model.topGenes(modelOptions.topGenes), batchSize: runOptions.batchSize,
                                         maxTokensPerPass: modelOptions.maxTokensPerPass)
            s.options.guidance = guidance
            if !parsed.isEmpty && guidance != 1 { s.unconditionalPrompt = try modelOptions.prompt(CellGenerator.unconditionalTask, kind: .singleCell, model: model, warn: false) }
            s.constrained = !decoding.unconstrained
            s.organism = model.organism(modelOptions.organism)
            s.chunks = runOptions.chunks
            s.identity = modelOptions.settings(model).merging(decoding.settings(sample: !greedy)) { a, _ in a }
            let r = try runOptions.withProgress { try CellGeneration.run(model: model, settings: s, onEvent: $0) }
            guard !runOptions.quiet else { return }
            printError(String(format: "%d cells generated (%@, %@) in %.2f s -> %@: %.1f words per cell, validity %.2f%%, uniqueness %.2f%%",
                              r.cells, decoding.unconstrained ? "unconstrained" : "constrained", runOptions.describe((r.chunksComputed, r.chunksReused)),
                              r.seconds, output, Double(r.summary.words) / Double(max(1, r.summary.sentences)),
                              r.summary.validity * 100, r.summary.uniqueness * 100))
        }
    }
}
