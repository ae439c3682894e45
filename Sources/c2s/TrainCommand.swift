import ArgumentParser
import C2S
import CellSentences
import Distributed
import Foundation
import Mechanics
import Prompts
import SingleCell
import Transformer

struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train or fine-tune a causal language model (gemma2, gpt2, gpt_neox, llama) on a prompt dataset.",
        discussion: """
            PROMPTS is a prompt dataset from 'c2s prompts'. The model sees model_input + " " + \
            response, tokenized as one string, with EOS appended; the loss is on the response and \
            EOS (--loss-on all: on every token). Examples longer than the context lose the last \
            (lowest-ranked) genes of their cell sentences (input_sentence_spans), or without \
            spans tokens from the start of the input; a response is never cut. Prompts in a \
            published checkpoint's format ('c2s prompts --prompt-format', their lines say \
            prompt_format) are joined as that family was trained instead: input and response \
            tokenized apart, no separator; c2s.json records the format for the other commands.

            Start from a model folder (--model, fine-tuning), or make a new model with --config \
            config.json or --new-model TYPE and sizes, with a tokenizer (--tokenizer, e.g. from \
            'c2s tokenizer train').

            OUT receives checkpoint-N/ every --save-every steps (a Hugging Face folder plus \
            optimizer moments and trainer_state.json; --resume continues from one exactly), \
            metrics.jsonl, and at the end the final model, c2s.json and loss.svg.

            Examples:
              c2s train prompts.jsonl --new-model gpt_neox --hidden-size 256 --layers 4 --heads 4 \\
                  --context 512 --tokenizer bpe-genes --epochs 3 --learning-rate 1e-3 -o model
              c2s train prompts.jsonl --model pythia-160m --learning-rate 5e-5 --save-every 500 -o tuned
              c2s train prompts.jsonl --model pythia-160m --resume tuned/checkpoint-500 -o tuned
              c2s train prompts.jsonl --model C2S-Pythia-410m --lora-rank 16 --learning-rate 2e-4 -o adapter

            With --lora-rank the pretrained model stays frozen and only LoRA adapters train; OUT \
            then holds adapter_config.json and adapter_model.safetensors as PEFT saves them \
            (peft.PeftModel.from_pretrained loads them), and the other commands take it with \
            --model OUT (the base is found from adapter_config.json) or --model BASE --adapter OUT.
            """)

    @Argument(help: "Prompt dataset (JSONL from 'c2s prompts').")
    var prompts: String

    @Option(name: .shortAndLong, help: "Output folder (final model, checkpoints, metrics).")
    var output: String

    // MARK: model
    @Option(help: "Hugging Face model folder to fine-tune (gemma2, gpt2, gpt_neox or llama).")
    var model: String?

    @Option(help: "config.json of a new model (vocab_size and special ids default to the tokenizer's).")
    var config: String?

    @Option(help: "Make a new model of this type: gpt_neox or gpt2 (sizes below).")
    var newModel: String?

    @Option(help: "New model: hidden size.")
    var hiddenSize = 256

    @Option(help: "New model: layers.")
    var layers = 4

    @Option(help: "New model: attention heads.")
    var heads = 4

    @Option(help: "New model: MLP width (default 4 x hidden size).")
    var intermediateSize: Int?

    @Option(help: "New model: context length (max_position_embeddings / n_positions).")
    var context = 1024

    @Option(help: "Tokenizer folder (tokenizer.json; default: the --model folder).")
    var tokenizer: String?

    @Flag(help: "With --model and a --tokenizer that extends the model's own ('c2s tokenizer extend': every token at its id, new ones after): give the model rows for the new tokens in its token table and output head, initialised as a new model's.")
    var growVocabulary = false

    // MARK: LoRA
    @Option(help: "Train LoRA adapters of this rank on the --model instead of all its weights (the base stays frozen).")
    var loraRank: Int?

    @Option(help: "LoRA alpha: the adapters are scaled by alpha / rank (default: alpha = rank).")
    var loraAlpha: Double?

    @Option(help: "LoRA dropout on each adapter's input while training (PEFT's lora_dropout).")
    var loraDropout: Double?

    @Option(help: ArgumentHelp("The precision the frozen base is kept in under --lora-rank: auto (as stored: a bf16 checkpoint stays bf16, half the memory, products on AVX512-BF16), fp32, or bf16 (rounded at load).", valueName: "precision"))
    var baseWeights: WeightPrecision = .auto

    @Option(help: ArgumentHelp("Modules to adapt, comma-separated (e.g. q_proj,v_proj; query_key_value,dense; c_attn) or all-linear: every attention and MLP projection.", valueName: "names"))
    var loraTargets = LoRAConfiguration.allLinear

    // MARK: data
    @Option(help: "Split trained on.")
    var split = "train"

    @Option(help: "Split whose loss and perplexity are reported ('none' to skip).")
    var validationSplit = "validation"

    @Option(help: ArgumentHelp("Validate on the first N examples of the validation split only (c2s prompts mixes its tasks at random), so validation costs the same on any data size (default: all).", valueName: "N"))
    var evalExamples: Int?

    @Option(help: "Tokens taking the loss: response (response + EOS) or all.")
    var lossOn = "response"

    @Option(help: "Longest example in tokens (default and at most: the model's context).")
    var maxLength: Int?

    @Option(help: "Sentence dataset folder the prompts came from: its manifest.json and vocab.tsv are copied beside the model.")
    var sentences: String?

    @Option(help: "The obs column the prompts' labels came from (recorded in c2s.json; generated cells carry their condition under this name).")
    var labelColumn: String?

    @Option(help: ArgumentHelp("New models: start each gene token's output-head row from the gene's loadings on principal components of the training cells' first N genes (N: the prompts' --top-k; needs --sentences and a gene-aware tokenizer). docs/SCIENCE.md: better generation and annotation for small models.", valueName: "N"))
    var geneHeadInit: Int?

    // MARK: optimisation
    @Option(help: "Sequences per micro-batch.")
    var batchSize = 8

    @Option(help: "Micro-batches per optimizer step.")
    var gradientAccumulation = 1

    @Option(help: "Peak learning rate.")
    var learningRate = 5e-5

    @Option(help: "AdamW weight decay (biases and norm weights never decay).")
    var weightDecay = 0.0

    @Option(help: "AdamW beta1.")
    var adamBeta1 = 0.9

    @Option(help: "AdamW beta2.")
    var adamBeta2 = 0.999

    @Option(help: "AdamW epsilon.")
    var adamEpsilon = 1e-8

    @Option(help: "Clip the gradient's global L2 norm to this (0: no clipping).")
    var maxGradNorm = 1.0

    @Option(help: "Learning-rate schedule: linear, cosine or constant (each after linear warmup).")
    var schedule = "linear"

    @Option(help: "Warmup steps (overrides --warmup-ratio).")
    var warmupSteps: Int?

    @Option(help: "Warmup as a fraction of all steps.")
    var warmupRatio = 0.0

    @Option(help: "Passes over the training split.")
    var epochs = 3

    @Option(help: "Stop after this many optimizer steps (overrides --epochs).")
    var maxSteps: Int?

    @Option(help: "Seed of the data order and of a new model's weights.")
    var seed: UInt64 = 42

    @Option(help: "How tokens weigh in the loss: token (the mean over a step's target tokens, as transformers) or example (every example weighs the same, so a task weighs its share of examples however long its responses).")
    var lossWeighting = "token"

    @Flag(help: "Keep only each layer's input and recompute its activations in the backward pass: less memory (activations of one layer instead of all), about a third more compute, the same results.")
    var checkpointActivations = false

    @Flag(inversion: .prefixedNo, help: "Under mpirun: sum each layer's gradient over the ranks while the backward pass computes the layers before it (as PyTorch's DDP), instead of the whole gradient afterwards; the same sums either way. Default: on when the ranks span several machines (the network then does the work), off when they share one (the sums are then work for the same cores: 4 % slower measured with 2 ranks on 2 cores).")
    var overlapAllreduce: Bool?

    @Flag(help: "Batches of similar length (transformers' group_by_length) instead of random ones: --batch-order length.")
    var groupByLength = false

    @Option(help: ArgumentHelp("Order of the examples: random (a seeded shuffle per epoch, held in memory: 8 bytes per example), permuted (a seeded shuffle computed per position: memory does not grow with the examples, for corpora of millions; another order than random's) or length (batches of similar length, transformers' group_by_length; with several tasks one task per batch, which can stop a model from learning to condition on the label).", valueName: "order"))
    var batchOrder = "random"

    // MARK: run
    @Option(help: "Validate every N steps (and always at the end).")
    var evalEvery: Int?

    @Option(help: "Print a line to stderr every N optimizer steps and at the last, terminal or log file (0: none): step, mean training loss of the steps since the previous line, learning rate, tokens/s, elapsed, ETA.")
    var logEvery = 10

    @Option(help: "Sequences per validation batch (default: --batch-size).")
    var evalBatchSize: Int?

    @Option(help: "Save OUT/checkpoint-N every N steps.")
    var saveEvery: Int?

    @Option(help: "Checkpoint folder (OUT/checkpoint-N) to continue from.")
    var resume: String?

    @Option(help: "Worker threads (default: all cores).")
    var threads: Int?

    @Flag(help: "Replace the output folder if it exists.")
    var overwrite = false

    @Flag(name: .shortAndLong, help: "Print nothing but errors.")
    var quiet = false

    func validate() throws {
        let sources = [model, config, newModel].compactMap { $0 }.count
        if sources != 1 { throw ValidationError("give exactly one of --model DIR, --config FILE or --new-model TYPE") }
        if model == nil && tokenizer == nil { throw ValidationError("a new model needs --tokenizer DIR (e.g. from 'c2s tokenizer train')") }
        if TrainingOptions.LossWeighting(rawValue: lossWeighting) == nil { throw ValidationError("--loss-weighting must be token or example, not \(lossWeighting)") }
        if LossTarget(rawValue: lossOn) == nil { throw ValidationError("--loss-on must be response or all, not \(lossOn)") }
        if TrainingOptions.BatchOrder(rawValue: batchOrder) == nil { throw ValidationError("--batch-order must be random, permuted or length, not \(batchOrder)") }
        if groupByLength && batchOrder != "random" && batchOrder != "length" { throw ValidationError("--group-by-length is --batch-order length; give one of them") }
        if TrainingOptions.Schedule(rawValue: schedule) == nil { throw ValidationError("--schedule must be linear, cosine or constant, not \(schedule)") }
        if let maxLength, maxLength < 2 { throw ValidationError("--max-length must be at least 2") }
        if let labelColumn, labelColumn.isEmpty { throw ValidationError("--label-column must not be empty") }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
        if logEvery < 0 { throw ValidationError("--log-every must be 0 (no step lines) or more") }
        if let e = evalEvery, e < 1 { throw ValidationError("--eval-every must be at least 1") }
        if let n = evalExamples, n < 1 { throw ValidationError("--eval-examples must be at least 1") }
        if let s = saveEvery, s < 1 { throw ValidationError("--save-every must be at least 1") }
        if growVocabulary && (model == nil || tokenizer == nil) { throw ValidationError("--grow-vocabulary grows a --model DIR to the vocabulary of a --tokenizer DIR that extends its own; give both") }
        if growVocabulary && lora != nil { throw ValidationError("--grow-vocabulary trains the new tokens' rows, which --lora-rank keeps frozen; use one of them") }
        if let lora {
            if model == nil { throw ValidationError("--lora-rank adapts a pretrained model: give it with --model DIR") }
            let problems = lora.problems()
            if !problems.isEmpty { throw ValidationError(problems.joined(separator: "; ")) }
        } else if loraAlpha != nil || loraDropout != nil || loraTargets != LoRAConfiguration.allLinear || baseWeights != .auto {
            throw ValidationError("--lora-alpha, --lora-dropout, --lora-targets and --base-weights need --lora-rank")
        }
        let problems = trainingOptions.problems()
        if !problems.isEmpty { throw ValidationError(problems.joined(separator: "; ")) }
    }

    var trainingOptions: TrainingOptions {
        var o = TrainingOptions()
        o.batchSize = batchSize
        o.evalBatchSize = evalBatchSize ?? batchSize
        o.gradientAccumulation = gradientAccumulation
        o.learningRate = learningRate
        o.weightDecay = weightDecay
        o.beta1 = adamBeta1
        o.beta2 = adamBeta2
        o.eps = adamEpsilon
        o.maxGradNorm = maxGradNorm
        o.schedule = TrainingOptions.Schedule(rawValue: schedule) ?? .linear
        o.warmupSteps = warmupSteps
        o.warmupRatio = warmupRatio
        o.epochs = epochs
        o.maxSteps = maxSteps
        o.seed = seed
        o.batchOrder = groupByLength ? .groupedByLength : TrainingOptions.BatchOrder(rawValue: batchOrder) ?? .random
        o.checkpointActivations = checkpointActivations
        o.lossWeighting = TrainingOptions.LossWeighting(rawValue: lossWeighting) ?? .token
        return o
    }

    var lora: LoRAConfiguration? {
        loraRank.map { rank in
            LoRAConfiguration(rank: rank, alpha: loraAlpha,
                              targets: loraTargets.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) },
                              dropout: loraDropout ?? 0)
        }
    }

    var settings: ModelTrainingSettings {
        let source: ModelTrainingSettings.Source
        if let model {
            source = .pretrained(folder: model)
        } else if let config {
            source = .config(path: config)
        } else {
            source = .new(TrainingModelSource.NewModelSizes(type: newModel!, hiddenSize: hiddenSize, layers: layers, heads: heads,
                                                            intermediateSize: intermediateSize, context: context))
        }
        var s = ModelTrainingSettings(prompts: prompts, output: output, source: source)
        s.tokenizer = tokenizer
        s.split = split
        s.validationSplit = validationSplit == "none" ? nil : validationSplit
        s.validationLimit = evalExamples
        s.sentences = sentences
        s.labelColumn = labelColumn
        s.geneHeadGenes = geneHeadInit
        s.growVocabulary = growVocabulary
        s.lora = lora
        s.baseWeights = baseWeights
        s.maxLength = maxLength
        s.lossOn = LossTarget(rawValue: lossOn)!
        s.options = trainingOptions
        s.evalEvery = evalEvery
        s.saveEvery = saveEvery
        s.resume = resume
        s.overwrite = overwrite
        s.command = CommandLine.arguments.joined(separator: " ")
        return s
    }

    /// Alone, or as one rank of an MPI job (`mpirun -np N c2s train ...`): every rank trains
    /// its shard of each batch, rank 0 alone prints and writes, and a failure on any rank ends
    /// the whole job (the others would otherwise wait for it forever).
    func run() throws {
        var group: any Communicator = SingleProcess()
        try CLIErrors.run { group = try DistributedLaunch.join() }
        let mpi = group as? MPICommunicator
        do {
            if group.isLeader {
                try CLIErrors.run { try train(in: group) }
            } else {
                do { try train(in: group) } catch let e as any C2SError {
                    // Bad input fails every rank alike: give rank 0 a moment to report it (its
                    // abort then ends this rank); only a failure of this rank alone gets here.
                    Thread.sleep(forTimeInterval: 3)
                    printError("error: rank \(group.rank): \(e.description)")
                    throw ExitCode(e.exitCode)
                }
            }
        } catch {
            if let mpi { mpi.abandon(code: (error as? ExitCode)?.rawValue ?? 1) }
            throw error
        }
        mpi?.finish()
    }

    private func train(in group: any Communicator) throws {
        // Ranks on one machine share its cores.
        KernelThreads.count = threads ?? (group.size > 1 ? DistributedLaunch.threadsPerRank() : KernelThreads.count)
        Matmul.setThreads(KernelThreads.count)
        let quiet = quiet || !group.isLeader
        var settings = settings
        settings.communicator = group
        settings.options.overlapAllReduce = overlapsAllReduce(group)
        // The step lines are the progress report of a log file; the bar stays on a terminal.
        let progress = ProgressBar(quiet: quiet, logLines: logEvery == 0)
        var stepLog: TrainStepLog?
        var total = 0, firstStep = 0
        var loopStart = Date()
        let result = try ModelTraining.run(settings) { event in
            switch event {
            case .planned(let plan):
                (total, firstStep, loopStart) = (plan.totalSteps, plan.firstStep, Date())
                if logEvery > 0 { stepLog = TrainStepLog(every: logEvery, totalSteps: plan.totalSteps) }
                if !quiet { describe(plan, group: group) }
            case .step(let m):
                let perStep = Date().timeIntervalSince(loopStart) / Double(max(1, m.step - firstStep))
                progress.update("training", m.step, total, unit: "steps", detail: String(format: "step %d/%d  loss %.4f  %.0f tok/s  ETA %@",
                                                                          m.step, total, m.loss, m.tokensPerSecond, durationText(perStep * Double(total - m.step))))
                if !quiet, let line = stepLog?.record(m) { progress.printAbove(line) }
            case .validation(let v):
                guard !quiet else { return }
                progress.finish()
                printError(String(format: "step %d: validation loss %.4f, perplexity %.3f (%d tokens)", v.step, v.loss, v.perplexity, v.tokens))
            case .checkpoint(let folder):
                guard !quiet else { return }
                progress.finish()
                printError("saved \(folder)")
            case .note(let note):
                progress.finish()
                printError("note: \(note)")
            }
        }
        progress.finish()
        guard !quiet else { return }
        print(String(format: "trained %d steps in %@; last training loss %.4f", result.steps, durationText(result.seconds), result.lastLoss))
        if let v = result.lastValidation { print(String(format: "validation loss %.4f, perplexity %.3f", v.loss, v.perplexity)) }
        print("model: \(output)")
    }

    /// Whether the gradient's sum overlaps the backward pass: as asked, else only when the ranks
    /// span several machines.
    func overlapsAllReduce(_ group: any Communicator) -> Bool {
        overlapAllreduce ?? (DistributedLaunch.localRanks() < group.size)
    }

    /// What the run is about to do, on stderr.
    func describe(_ plan: ModelTrainingPlan, group: any Communicator) {
        printError(plan.description)
        let ranks = group.size
        if ranks > 1 {
            let reduction = overlapAllreduce == false ? "after the backward pass (--no-overlap-allreduce)"
                : !overlapsAllReduce(group) ? "after the backward pass (every rank on this machine; --overlap-allreduce to overlap it)"
                : group.allowsCollectivesFromAnotherThread ? "layer by layer during the backward pass"
                : "after the backward pass (the MPI library refused MPI_THREAD_SERIALIZED)"
            printError("data-parallel over \(ranks) MPI ranks: each runs \(batchSize / ranks) of every \(batchSize) sequences, \(KernelThreads.count) threads each; gradients summed \(reduction)")
        }
        printError("\(plan.trainExamples) training examples (\(plan.train.tokens) tokens, longest \(plan.train.longest)), \(plan.validationExamples) validation; \(plan.totalSteps) steps of \(gradientAccumulation) x \(batchSize) sequences")
        report(plan.train, "training", length: plan.maxLength)
        report(plan.validation, "validation", length: plan.maxLength)
        if let resume { printError("resuming from \(resume) at step \(plan.firstStep)") }
        if let format = plan.promptFormat {
            printError("prompts in the \(format) format: input and response tokenized apart and joined without a separator, as that family was trained (c2s.json records the format)")
        }
        if let g = plan.geneHead {
            printError(String(format: "output head: %d gene tokens start from %d principal components of %d genes in %d training cells (%.1f%% of their variance)",
                              g.tokens, g.components, g.genes, g.cells, 100 * g.explainedVariance))
        }
    }

    func report(_ r: TruncationReport, _ what: String, length: Int) {
        guard r.examples > 0 else { return }
        if r.truncatedBySentence > 0 {
            printError("note: \(r.truncatedBySentence) \(what) examples were longer than \(length) tokens; their cell sentences lost their last \(r.droppedGenes) genes in all (input_sentence_spans)")
        }
        if r.truncatedByTokens > 0 {
            printError("warning: \(r.truncatedByTokens) \(what) examples were longer than \(length) tokens and have no input_sentence_spans; \(r.droppedTokens) tokens were dropped from the start of their inputs")
        }
        if r.boundaryByDecoding > 0 {
            printError("note: in \(r.boundaryByDecoding) \(what) examples the input's own tokens were not a prefix of the example's; the response start was found by decoding (\(r.straddlingBoundary) with a token spanning both)")
        }
    }
}
