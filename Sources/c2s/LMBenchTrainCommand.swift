import ArgumentParser
import Foundation
import Mechanics
import Transformer

/// Hidden: times full training steps (forward, backward, gradient clipping, AdamW) on random
/// tokens, for bench/train/run.sh.
struct LMBenchTrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-train",
        abstract: "Time training steps of a model on random tokens (benchmark).",
        discussion: """
            Builds the model from --config (random initialisation, seeded) or loads --model, \
            then runs --warmup untimed and --steps timed optimizer steps, each on a fresh \
            batch of --batch random sequences of --tokens tokens with the loss on every \
            token, the gradient clipped to norm 1 and AdamW (weight decay 0.01 outside \
            biases and norms). Prints one JSON line: tokens/s and the time split between \
            forward+backward and the optimizer. With --gemm-peak it only measures the \
            machine's fp32 GEMM rate, in a process of its own so the benchmark's peak \
            memory does not include the test matrices. With --bf16-linear it only times \
            Matmul.linearBF16 (fp32 activations, bfloat16 weights) on the given shapes, for \
            bench/bf16-gemm/run.sh: --warmup untimed and --steps timed products each, one \
            JSON line per shape with the best time.
            """,
        shouldDisplay: false)

    @Option(help: "Hugging Face model folder to fine-tune.")
    var model: String?

    @Option(help: "config.json of a model to build with random weights.")
    var config: String?

    @Option(help: "Sequences per step.")
    var batch = 8

    @Option(help: "Tokens per sequence.")
    var tokens = 256

    @Option(help: "Timed steps.")
    var steps = 5

    @Option(help: "Untimed steps first.")
    var warmup = 1

    @Option(help: "Seed of the initial weights and the random tokens.")
    var seed: UInt64 = 0

    @Option(help: "Learning rate.")
    var learningRate = 1e-4

    @Option(help: "Worker threads (default: all cores).")
    var threads: Int?

    @Option(help: "Logit floats the cross-entropy computes at once (rows per chunk = this / vocabulary).")
    var crossEntropyChunkFloats = CrossEntropy.chunkFloats

    @Flag(help: "Recompute each layer's activations in the backward pass (activation checkpointing).")
    var checkpointActivations = false

    @Option(help: "Train LoRA adapters of this rank instead of all weights (the base frozen).")
    var loraRank: Int?

    @Option(help: "With --model: the precision its matrices are kept in (auto: as stored; a bf16 checkpoint under --lora-rank trains over a bf16 base).")
    var weights: WeightPrecision = .fp32

    @Option(help: "LoRA target modules, comma-separated, or all-linear.")
    var loraTargets = LoRAConfiguration.allLinear

    @Flag(help: "Only measure this machine's fp32 GEMM rate (best of 3 products 2048x2048x2048 through cblas_sgemm) and print it as gemm_gflops.")
    var gemmPeak = false

    @Option(help: "Only time Matmul.linearBF16 on this shape, M,N,K: a[M,K] fp32 times b[N,K] bfloat16 transposed (repeatable).")
    var bf16Linear: [String] = []

    func validate() throws {
        if gemmPeak { return }
        if !bf16Linear.isEmpty {
            for shape in bf16Linear where Self.shape(shape) == nil { throw ValidationError("--bf16-linear takes M,N,K (positive integers), not '\(shape)'") }
            if steps < 1 || warmup < 0 { throw ValidationError("--steps must be at least 1, --warmup at least 0") }
            return
        }
        if (model == nil) == (config == nil) { throw ValidationError("give exactly one of --model and --config") }
        if batch < 1 || tokens < 2 || steps < 1 || warmup < 0 {
            throw ValidationError("--batch and --steps must be at least 1, --tokens at least 2, --warmup at least 0")
        }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
        if weights != .fp32 && (model == nil || loraRank == nil) { throw ValidationError("--weights auto|bf16 is for --model with --lora-rank (full training needs fp32 weights)") }
    }

    func run() throws {
        try CLIErrors.run {
            if let threads { KernelThreads.count = threads }
            Matmul.setThreads(KernelThreads.count)
            CrossEntropy.chunkFloats = crossEntropyChunkFloats
            if gemmPeak {
                print(JSONLine.object([("impl", .string("c2s")), ("gemm_gflops", .double(MatmulBenchmarks.gemmGFLOPs())), ("threads", .int(KernelThreads.count))]))
                return
            }
            if !bf16Linear.isEmpty {
                for shape in bf16Linear {
                    let (m, n, k) = Self.shape(shape)!
                    let best = MatmulBenchmarks.linearBF16Seconds(m: m, n: n, k: k, warmup: warmup, steps: steps)
                    print(JSONLine.object([
                        ("impl", .string("c2s")), ("m", .int(m)), ("n", .int(n)), ("k", .int(k)), ("seconds", .double(best)),
                        ("gflops", .double(2 * Double(m) * Double(n) * Double(k) / best / 1e9)),
                        ("kernel", .string(MatmulBenchmarks.linearBF16Kernel(m: m))), ("threads", .int(KernelThreads.count)),
                    ]))
                }
                return
            }
            let built = try config.map { try ModelLoader.makeModel(try ConfigFile(url: URL(fileURLWithPath: $0))) }
                ?? ModelLoader.load(folder: URL(fileURLWithPath: model!), weights: weights)
            Matmul.setThreads(forMatrices: built.parameters.matrixPrecision)
            let r = try TrainingStepBenchmark.run(built, initialize: config != nil, settings: settings())
            print(JSONLine.object([
                ("impl", .string("c2s")), ("parameters", .int(r.parameters)), ("tokens_per_step", .int(r.tokensPerStep)),
                ("steps", .int(steps)), ("seconds", .double(r.seconds)), ("tokens_per_s", .double(r.tokensPerSecond)),
                ("forward_backward_s", .double(r.forwardBackwardSeconds)), ("optimizer_s", .double(r.optimizerSeconds)),
                ("step_s", .doubles(r.stepSeconds.map(Float.init))), ("losses", .doubles(r.losses.map(Float.init))),
                ("threads", .int(KernelThreads.count)), ("trainable_parameters", .int(r.trainableParameters)),
                ("checkpoint_activations", .number(checkpointActivations ? "true" : "false")),
                ("base_weights", .string(built.parameters.matrixPrecision.rawValue)),
            ]))
        }
    }

    /// The options as the library takes them.
    func settings() -> TrainingStepBenchmark.Settings {
        var s = TrainingStepBenchmark.Settings()
        (s.batch, s.tokens, s.steps, s.warmup, s.seed, s.learningRate) = (batch, tokens, steps, warmup, seed, learningRate)
        s.loraRank = loraRank
        s.loraTargets = loraTargets.split(separator: ",").map(String.init)
        s.checkpointActivations = checkpointActivations
        return s
    }

    static func shape(_ text: String) -> (Int, Int, Int)? {
        let parts = text.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard parts.count == 3, parts.allSatisfy({ $0 > 0 }) else { return nil }
        return (parts[0], parts[1], parts[2])
    }
}
