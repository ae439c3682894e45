import ArgumentParser
import C2S
import CellSentences
import Foundation
import Prompts
import SingleCell
import Transformer

/// Options of the C2S task commands (annotate, generate-cells, embed, predict-perturbation,
/// predict-tissue, interpret) that concern the model.
struct C2SModelOptions: ParsableArguments {
    @Option(help: "C2S model folder: a Hugging Face causal LM with tokenizer, and c2s.json from 'c2s train'.")
    var model: String

    @Option(help: "LoRA adapter folder (from 'c2s train --lora-rank' or PEFT) to run on top of --model. A --model that is itself an adapter folder finds its base on its own.")
    var adapter: String?

    @Option(help: "The sentence dataset the model was trained on (gene vocabulary, conversion settings, inverse transform), when the model folder has no copy of its manifest.json and vocab.tsv.")
    var sentences: String?

    @Option(help: "Input template of the task, counted from 1; every prompt of the run uses it.")
    var template = 1

    @Option(help: "JSON task definitions (as for 'c2s prompts --task-file'): use their templates instead of the built-in ones.")
    var taskFile: String?

    @Option(help: "Prompt format: c2s, cell2sentence (C2S-Pythia-410m), c2s-scale (C2S-Scale Gemma-2); default: the one the model folder names, else c2s. See 'c2s formats'.")
    var promptFormat: String?

    @Option(help: "Genes of each cell shown in prompts, or asked for when generating (default: the training value, else 200).")
    var topGenes: Int?

    @Option(help: "Organism named in prompts (default: the training value, else Homo sapiens).")
    var organism: String?

    @Option(help: "Worker threads (default: all cores).")
    var threads: Int?

    @Option(help: "Most tokens fed through the model in one pass (bounds activation memory).")
    var maxTokensPerPass = 8192

    @Flag(help: "Decode an fp32 model with bfloat16 copies of its weights (AVX512_BF16 CPUs). Prompts are still read in fp32. Implied when the weights are bf16 (--weights).")
    var bf16 = false

    @Option(help: "Precision of the weight matrices in memory: auto (as stored: a bf16 checkpoint stays bf16, with no fp32 copy; fp32 and fp16 checkpoints load as fp32), fp32, or bf16 (fp32/fp16 matrices rounded once; half the memory). Default auto; not with --quantize.")
    var weights: WeightPrecision?

    @Option(help: "Quantize the weight matrices as they load, for inference: int8 (weight-only, one scale per row; a quarter of fp32's memory, faster decoding than bf16, logits a little off fp32's). Replaces --weights.")
    var quantize: WeightQuantization?

    func validate() throws {
        try ModelLoading.validate(threads: threads, maxTokensPerPass: maxTokensPerPass, quantize: quantize, weights: weights, bf16: bf16)
        if template < 1 { throw ValidationError("--template counts from 1") }
        if let topGenes, topGenes < 1 { throw ValidationError("--top-genes must be at least 1") }
    }

    /// Loads the model once for the whole run.
    func load() throws -> C2SModel {
        try ModelLoading.load(threads: threads, bf16: bf16, language: \.language) {
            try C2SModel(folder: model, adapter: adapter, sentences: sentences, weights: weights ?? .auto, quantize: quantize)
        }
    }

    /// The task's prompt with the chosen template, in the chosen (or the model's) prompt
    /// format; deviations from the model's format are printed as warnings.
    /// `warn: false` for a second prompt of the same run (its warnings were printed once).
    func prompt(_ task: String, kind: TaskKind, model: C2SModel, genes: Int? = nil, warn: Bool = true) throws -> TaskPrompt {
        var user: [TaskDefinition] = []
        if let taskFile { user = try TaskDefinition.load(path: taskFile, available: { Set(TaskDefinition.standardFields($0)) }) }
        let choice = try PromptFormatChoice(requested: promptFormat, model: model, template: template, taskFile: taskFile != nil,
                                            genes: genes ?? model.topGenes(topGenes))
        if warn { choice.warnings.forEach { printError("warning: \($0)") } }
        return try TaskPrompt(task: task, kind: kind, template: template, userTasks: user, profile: choice.profile)
    }

    /// The options of an annotator (annotate, predict-tissue, interpret): the prompt's genes and
    /// organism as given or as the model was trained, the pass size from these options.
    func annotationOptions(model: C2SModel, mode: AnnotationMode, maxNewTokens: Int, batchSize: Int) -> AnnotationOptions {
        var o = AnnotationOptions()
        o.mode = mode
        o.maxNewTokens = maxNewTokens
        o.topGenes = model.topGenes(topGenes)
        o.organism = model.organism(organism)
        o.batchSize = batchSize
        o.maxTokensPerPass = maxTokensPerPass
        return o
    }

    /// Settings that change results, for resuming.
    func settings(_ model: C2SModel) -> [String: String] {
        var s = ["model": URL(fileURLWithPath: self.model).standardizedFileURL.path, "model_weights": FileIdentity.of(self.model),
                 "adapter": adapter.map(FileIdentity.of) ?? "",
                 "template": String(template), "task_file": taskFile.map(FileIdentity.of) ?? "", "prompt_format": promptFormat ?? "",
                 "top_genes": String(model.topGenes(topGenes)), "organism": model.organism(organism), "bf16": String(bf16)]
        if let sentences = model.sentences { s["sentences"] = FileIdentity.of(sentences.folder + "/vocab.tsv") }
        // Only when not fp32, so that runs interrupted before this setting existed resume; bf16
        // (--weights or a bf16 checkpoint) or int8 (--quantize int8).
        let precision = ModelLoader.matrixPrecision(model.language)
        if precision != .fp32 { s["weights"] = precision.rawValue }
        return s
    }
}

/// How a run is cut into chunks and resumed.
struct RunOptions: ParsableArguments {
    @Option(help: "Prompts run through the model together.")
    var batchSize = 16

    @Option(help: "Results are saved every N cells; an interrupted run resumes after the last saved chunk (--resume).")
    var chunkSize = 64

    @Flag(help: "Continue an interrupted run with the same settings, skipping its finished chunks.")
    var resume = false

    @Flag(help: "Replace the output if it exists (and discard an interrupted run's chunks).")
    var overwrite = false

    @Flag(name: .shortAndLong, help: "Print nothing but errors.")
    var quiet = false

    @Option(help: .hidden)
    var interruptAfterChunks: Int?

    func validate() throws {
        if batchSize < 1 { throw ValidationError("--batch-size must be at least 1") }
        if chunkSize < 1 { throw ValidationError("--chunk-size must be at least 1") }
    }

    var chunks: ChunkSettings {
        var c = ChunkSettings()
        c.chunkSize = chunkSize
        c.resume = resume
        c.overwrite = overwrite
        c.interruptAfter = interruptAfterChunks
        return c
    }

    /// Runs a workflow with a progress bar on standard error (none when quiet), which `body`
    /// passes the workflow's events.
    func withProgress<Result>(_ body: (_ onEvent: @escaping (CellTaskEvent) -> Void) throws -> Result) rethrows -> Result {
        let bar = ProgressBar(quiet: quiet)
        let result = try body { bar.report($0, quiet: quiet) }
        bar.finish()
        return result
    }

    /// Where the run stands, after the chunks are done.
    func describe(_ done: (computed: Int, reused: Int)) -> String {
        done.reused > 0 ? "\(done.computed) chunk(s) computed, \(done.reused) resumed" : "\(done.computed) chunk(s)"
    }
}

/// Options saying which cells to read and how.
struct CellInputArguments: ParsableArguments {
    @Option(help: "Format of a count-matrix INPUT (detected when omitted).")
    var format: InputFormat?

    @Option(help: "Read layers/NAME of an .h5ad instead of X.")
    var layer: String?

    @Flag(help: "Read raw/X of an .h5ad instead of X.")
    var raw = false

    @Option(help: "Take gene names from this var column (.h5ad, 10x).")
    var geneColumn: String?

    @Flag(help: "Also apply the training data's cell and gene filters when converting a count matrix (filtered cells get no result).")
    var applyFilters = false

    @Option(help: "A splits.json from 'c2s prompts' (with --split): run only on the cells of one split.")
    var splits: String?

    @Option(help: "The split to run on (train, validation or test).")
    var split: String?

    @Option(name: .customLong("where"), help: "Run only on cells whose column has this value: column=value (repeatable; all must hold).")
    var conditions: [String] = []

    func validate() throws {
        if layer != nil && raw { throw ValidationError("--layer and --raw cannot be used together") }
        if (splits == nil) != (split == nil) { throw ValidationError("--splits and --split go together") }
    }

    var options: CellInputOptions {
        var o = CellInputOptions()
        o.read.format = format
        o.read.matrix = raw ? .raw : layer.map { .layer($0) } ?? .x
        o.read.geneColumn = geneColumn
        o.applyFilters = applyFilters
        return o
    }

    /// The input and selection as the library takes them.
    func taskInput(_ input: String) throws -> CellTaskInput {
        var t = CellTaskInput(path: input)
        t.options = options
        t.splitsFile = splits
        t.split = split
        t.conditions = try conditions.map(CellSelection.condition)
        return t
    }
}
